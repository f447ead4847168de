"""Plain words for what the machinery records: an activity kind ("lead.captured") as a label
a shop owner reads ("New lead"), an error class ("THIRD_PARTY_AUTH_FAILED") as what
happened ("the provider refused the login details"), and a stored sentence with a code in
it rewritten the same way. Pages show these; the raw kind, code and data stay in the
folded "Technical details" for support. One map here, used by the Jinja filters."""

from __future__ import annotations

import re

KIND_LABELS = {
    "ai.fallback": "AI unavailable: the built-in writer was used",
    "autopilot.optimized": "Budgets optimised",
    "coach.run": "WhatsApp coach sent its messages",
    "coach.send_now": "WhatsApp message sent now",
    "coach.settings_saved": "WhatsApp coach settings saved",
    "health.alert_opened": "Problem found",
    "health.alert_resolved": "Problem solved",
    "integration.connection_tested": "Connection tested",
    "integration.credentials_removed": "Connection removed",
    "integration.credentials_saved": "Connection saved",
    "lead.captured": "New lead",
    "lead.merged": "Lead merged",
    "leads.attributed": "Leads matched to campaigns",
    "leads.imported": "Leads imported",
    "member.invited": "Team member invited",
    "member.joined": "Team member joined",
    "member.removed": "Team member removed",
    "member.invite_revoked": "Invitation withdrawn",
    "provisioning.requested": "Setup requested",
    "provisioning.started": "Setup started",
    "provisioning.succeeded": "Setup finished",
    "provisioning.failed": "Setup failed",
    "provisioning.retry_scheduled": "Setup will try again",
    "report.generated": "Weekly report ready",
    "sequence.processed": "Sequence messages sent",
    "workspace.created": "Workspace created",
}
AREAS = {
    "ai": "AI",
    "api": "API",
    "api_key": "API key",
    "ads": "Ads",
    "asset": "Content",
    "autopilot": "Autopilot",
    "brand": "Brand",
    "broadcast": "Broadcast",
    "campaign": "Campaign",
    "chat": "Website chat",
    "coach": "WhatsApp coach",
    "contact": "Contact",
    "form": "Form",
    "health": "Health",
    "integration": "Connection",
    "landing_page": "Landing page",
    "lead": "Lead",
    "leads": "Leads",
    "marketing": "Marketing",
    "member": "Team",
    "metrics": "Results",
    "provisioning": "Setup",
    "report": "Report",
    "segment": "Segment",
    "sequence": "Sequence",
    "workflow": "Workflow",
    "workspace": "Workspace",
}

ERROR_WORDS = {
    "TRANSIENT_NETWORK": "a brief network problem",
    "RATE_LIMITED": "the provider asked us to slow down",
    "INTEGRATION_OFFLINE": "the service could not be reached",
    "THIRD_PARTY_AUTH_FAILED": "the provider refused the login details",
    "CONFIGURATION_ERROR": "a setting is missing or wrong",
    "PROVISIONING_ERROR": "setting it up failed",
    "INVALID_RECIPIENT": "the address or number cannot receive messages",
}
CODE = re.compile(r"\b[A-Z]{2,}(?:_[A-Z0-9]+)+\b")
CODE_IN_BRACKETS = re.compile(r"\s*\(\s*([A-Z]{2,}(?:_[A-Z0-9]+)+)\s*\)")


def kind_label(kind: str | None) -> str:
    """'lead.captured' → 'New lead'; a kind without its own label → 'Campaign: budget increased'."""
    if not kind:
        return ""
    if kind in KIND_LABELS:
        return KIND_LABELS[kind]
    area, _dot, rest = kind.partition(".")
    noun = AREAS.get(area, area.replace("_", " ").capitalize())
    return f"{noun}: {rest.replace('_', ' ')}" if rest else noun


def error_words(code: str | None) -> str:
    """'THIRD_PARTY_AUTH_FAILED' → 'the provider refused the login details'."""
    if not code:
        return ""
    return ERROR_WORDS.get(str(code), "something went wrong")


def plain(text: str | None) -> str:
    """A stored sentence without codes: "test failed (INTEGRATION_OFFLINE)." reads "test
    failed: the service could not be reached." (rows written before the codes left them)."""
    if not text:
        return ""
    text = CODE_IN_BRACKETS.sub(lambda m: f": {error_words(m.group(1))}", text)
    text = CODE.sub(
        lambda m: error_words(m.group(0)) if m.group(0) in ERROR_WORDS else m.group(0), text
    )
    text = text.replace(":.", ".").replace("::", ":")
    return text[:1].upper() + text[1:]  # a sentence that began with a code
