"""Plain words on every page a shop owner reads: no raw event kinds (`workspace.created`),
no ALL_CAPS error codes (`THIRD_PARTY_AUTH_FAILED`), no raw JSON, no record numbers like
"organization #1" — outside the folded "Technical details" kept for support.

The crawl fills Alice's workspace as `autopilot demo` and the no-500 crawl do (campaigns and
reports, a sequence with sends, the coach, a provisioning run, an open health alert, a
failed sign-in to a provider, the AI falling back), then reads each page's visible text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from tests.conftest import START, login
from tests.test_no_server_errors import _pages, _workspace
from webapp.core.extensions import db

# Raw kinds look like `lead.captured` or `ai.fallback`; a sentence's "e.g." or a file name
# ("report.csv") or a host ("example.com") is not one.
RAW_KIND = re.compile(r"\b[a-z][a-z_]*[a-z]\.[a-z][a-z_]*[a-z]\b")
NOT_KINDS = re.compile(
    r"\S+@\S+|https?://\S+|\b[\w.-]+\.(com|org|net|io|test|local|localhost|example|csv|json|"
    r"png|jpg|gif|svg|js|css|html|py|txt|pdf|md)\b|\be\.g\b|\bi\.e\b|\bvs\b"
)
CAPS_CODE = re.compile(r"\b[A-Z]{2,}(?:_[A-Z0-9]+)+\b")
RAW_JSON = re.compile(r"[{\[]\s*\"[\w .-]+\"\s*:")
RECORD_NUMBER = re.compile(r"\b(organization|org|workspace|vm pid|pid)\s*#?\s*\d+\b", re.I)
STEP_ID = re.compile(r"\bstep [a-z]+_[a-z_]+\b")
INVISIBLE = {"script", "style", "template", "noscript", "head", "textarea"}
# <code>/<pre> hold what the owner types or copies (a snippet for their web developer, the
# name of their own event): exempt. Pages never put a kind or an error code there unfolded.
VERBATIM = {"code", "pre", "kbd", "samp"}


class VisibleText(HTMLParser):
    """The text a visitor sees without opening a <details> (its <summary> is seen)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0  # inside script/style/…
        self._details = 0  # inside an unopened <details>, past its <summary>
        self._summary = 0

    def handle_starttag(self, tag, attrs):
        if tag in INVISIBLE or tag in VERBATIM:
            self._hidden += 1
        elif tag == "details" and "open" not in dict(attrs):
            self._details += 1
        elif tag == "summary":
            self._summary += 1
        elif tag in ("br", "p", "li", "td", "th", "div", "dt", "dd", "option", "h1", "h2", "h3"):
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in INVISIBLE or tag in VERBATIM:
            self._hidden = max(0, self._hidden - 1)
        elif tag == "details":
            self._details = max(0, self._details - 1)
        elif tag == "summary":
            self._summary = max(0, self._summary - 1)
        self.parts.append(" ")

    def handle_data(self, data):
        if self._hidden or (self._details and not self._summary):
            return
        self.parts.append(data)

    def text(self) -> str:
        return "".join(self.parts)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return parser.text()


def problems(text: str) -> list[str]:
    found = []
    for line in text.splitlines():
        line = " ".join(line.split())
        if not line:
            continue
        cleaned = NOT_KINDS.sub(" ", line)
        for pattern, what in (
            (RAW_KIND, "event kind"),
            (CAPS_CODE, "error code"),
            (RAW_JSON, "JSON"),
            (RECORD_NUMBER, "record number"),
            (STEP_ID, "step id"),
        ):
            match = pattern.search(cleaned)
            if match:
                found.append(f"{what} {match.group(0)!r} in: {line[:160]}")
    return found


def test_the_checker_sees_what_an_owner_sees():
    html = (
        '<p>Welcome</p><script>var a = {"x": 1}; ai.fallback</script>'
        "<details><summary>Technical details</summary><code>workspace.created</code>"
        '<pre>{"error": "THIRD_PARTY_AUTH_FAILED"}</pre></details>'
        "<p>Write to hello@alice.example or see https://x.example/a.b</p>"
    )
    assert problems(visible_text(html)) == []
    bad = '<p>workspace.created</p><p>THIRD_PARTY_AUTH_FAILED</p><p>{"a": 1}</p>'
    bad += "<p>Organization #1</p><p>step smoke_tests</p><p>vm pid 14568</p>"
    assert len(problems(visible_text(bad))) == 6


@pytest.fixture
def demo(app, alice, alice_org, bob, support_user, clock) -> dict[str, int]:
    from webapp.services.demo import fill_demo_workspace

    ids = _workspace(app, alice_org, alice, clock)
    fill_demo_workspace(db.session, alice_org, START)
    db.session.commit()
    return ids


@pytest.mark.parametrize("persona", ["alice", "support_user"])
def test_pages_speak_plain_words(app, client, demo, persona, request):
    login(client, request.getfixturevalue(persona))
    found = []
    for _endpoint, path in _pages(app, demo):
        response = client.get(path)
        if response.status_code != 200 or not response.mimetype == "text/html":
            response.close()
            continue
        for problem in problems(visible_text(response.get_data(as_text=True))):
            found.append(f"{path}: {problem}")
        response.close()
    assert not found, "\n".join(found)


def _folded(html: str, raw: str) -> bool:
    """`raw` is on the page only inside a folded "Technical details"."""
    return raw in html and raw not in visible_text(html) and "Technical details" in html


def test_technical_words_are_folded_on_health_scheduler_and_integrations(
    app, client, alice, alice_org, clock
):
    from tests.ops.factories import open_breaker
    from webapp.models import ProvisioningRun, SchedulerNode

    open_breaker(alice_org.id, "twilio", "THIRD_PARTY_AUTH_FAILED", "HTTP 401 from api.twilio.com")
    db.session.add(
        SchedulerNode(id="vm-14568", hostname="vm", pid=14568, started_at=START, seen_at=START)
    )
    db.session.add(
        ProvisioningRun(
            org_id=alice_org.id, trigger="wizard", status="failed", progress=80,
            current_step="smoke_tests", attempts=1, error="The connection tests failed.",
            created_at=START, updated_at=START,
        )
    )  # fmt: skip
    db.session.commit()
    login(client, alice)

    health = client.get("/health").get_data(as_text=True)
    seen = visible_text(health)
    assert "smoke_tests" not in seen and "Connection tests" in seen
    assert "The provider refused the login details." in seen
    assert _folded(health, "THIRD_PARTY_AUTH_FAILED")
    assert problems(seen) == []

    scheduler = client.get("/scheduler").get_data(as_text=True)
    assert "The scheduler is running" in visible_text(scheduler)
    assert _folded(scheduler, "vm pid 14568")

    integrations = client.get("/settings/integrations").get_data(as_text=True)
    assert "the provider refused the login details" in visible_text(integrations)
    assert _folded(integrations, "THIRD_PARTY_AUTH_FAILED")


def test_the_activity_feed_speaks_plain_words(app, client, alice, alice_org, clock):
    from webapp.services.activity import log_activity

    log_activity(
        db.session, alice_org, "workspace.created", "Workspace Alice Bakes created.", now=START
    )
    log_activity(
        db.session, alice_org, "integration.connection_tested",
        "Email (SMTP) connection test failed (INTEGRATION_OFFLINE).", now=START,
        details={"error_class": "INTEGRATION_OFFLINE"},
    )  # fmt: skip
    for _ in range(7):
        log_activity(
            db.session, alice_org, "ai.fallback", "OpenAI did not answer: the built-in writer wrote it.",
            now=START, details={"purpose": "coach_followup"},
        )  # fmt: skip
    db.session.commit()
    login(client, alice)

    html = client.get("/activity").get_data(as_text=True)
    seen = visible_text(html)
    assert problems(seen) == []
    assert "test failed: the service could not be reached." in seen
    assert seen.count("OpenAI did not answer") == 1 and "× 7" in seen
    assert "AI unavailable: the built-in writer was used" in seen  # the filter's choice
    assert "Workspace created" in seen
    assert _folded(html, "ai.fallback") and _folded(html, "coach_followup")


def test_stored_sentences_lose_their_codes():
    from webapp.services.activity import plain

    assert plain("THIRD_PARTY_AUTH_FAILED: Twilio said 401") == (
        "The provider refused the login details: Twilio said 401"
    )
    assert plain("Email (SMTP) test failed (INTEGRATION_OFFLINE).") == (
        "Email (SMTP) test failed: the service could not be reached."
    )
    assert plain("Set the API_KEY") == "Set the API_KEY"  # not an error class: left alone
