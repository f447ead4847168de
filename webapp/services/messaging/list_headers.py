"""The headers that say which list a marketing email belongs to: `List-Id` (RFC 2919) and
`Feedback-ID` (the Gmail feedback loop), made once per campaign of a dispatcher run, not per
message — they are the same for every recipient."""

from __future__ import annotations

import re

from webapp.integrations.email import header_value

_LABEL = re.compile(r"[^a-z0-9-]+")
FEEDBACK_SENDER = "autopilot"  # the last Feedback-ID field: which product sent it


def list_headers(campaign_id: int, campaign_name: str, kind: str, org_id: int, domain: str) -> dict:
    """`List-Id: "<campaign name>" <c<id>.o<org>.<domain>>` and
    `Feedback-ID: <campaign>:<workspace>:<kind>:autopilot` for one campaign's mail."""
    name = " ".join(campaign_name.split()).replace("\\", "").replace('"', "'")[:80]
    phrase = f'"{name}"' if name.isascii() else header_value(name, name="List-Id")
    label = _LABEL.sub("-", (kind or "sequence").lower()).strip("-") or "sequence"
    return {
        "List-Id": f"{phrase} <c{campaign_id}.o{org_id}.{domain}>",
        "Feedback-ID": f"{campaign_id}:{org_id}:{label}:{FEEDBACK_SENDER}",
    }
