"""A form fuzzer over every form: no post answers 5xx, whatever its fields hold.

Every page of a realistic workspace (the crawl of test_no_server_errors) is read as its
owner, and the signed-out pages, the invite, unsubscribe and public lead form as a
visitor. Each `<form method=post>`, `hx-post` form and `hx-post` button (with the fields of
its form and its `hx-vals`) becomes a target; pages a post answers with are read too (the
CSV import's preview and run). Each target is posted as found, then with every field set to
each mutation (NUL characters, 20-digit and 2^31 ids, negative and non-numbers, very long
text, unicode, blanks, a value no select offers, repeated values), then field by field with
the worst of them. Every POST route must be reached by some form or be listed in NOT_FORMS
with the reason. Bounded: each distinct form once, a fixed list of mutations.
"""

from __future__ import annotations

import io
import json
import threading
import traceback
from dataclasses import dataclass, field
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from flask import Flask, got_request_exception
from flask.testing import FlaskClient

from tests.conftest import START, csrf_from, login
from tests.test_no_server_errors import _paths, _workspace
from webapp.core.extensions import db

# POST routes no page posts to, and where their bad input is tested instead.
NOT_FORMS = {
    "api.": "the JSON API: tests/api/test_schemathesis.py",
    "webhooks.": "Twilio's signed callbacks: tests/web/test_bad_input.py, tests/messaging",
    "billing.stripe_webhook": "Stripe's signed callback: tests/provisioning",
    "workflows.hook": "a workflow's HMAC-signed inbound webhook: tests/workflows/test_pages.py",
    "suppression.provider_webhook": "email providers' signed callbacks: tests/suppression",
    "suppression.remove": "a confirm form on a suppressed address (none in the fuzzer's "
    "workspace): tests/suppression/test_pages.py",
    "suppression.remove_mailbox": "needs a saved bounce mailbox: tests/suppression",
    "suppression.test_mailbox": "needs a saved bounce mailbox: tests/suppression",
    "confirm.confirm": "the public double opt-in page's button, shown to link scanners only, "
    "no fields but its signed token: tests/messaging/test_double_optin.py",
    "auth.logout": "ends the session the fuzzer posts with; it takes no fields",
    "dkim.generate": "the DKIM page's key button, shown once SMTP is set up; no fields but "
    "the domain and selector: tests/integrations/test_dkim_signing.py",
    "dkim.remove": "a confirm form shown only with a saved key: "
    "tests/integrations/test_dkim_signing.py",
    "ads.": "needs a connected ad account (a local Graph API server): tests/ads/test_pages.py",
    "assets.generate_for_campaign": "the campaign page's form (templates/assets/"
    "_campaign_assets.html, included by the marketing area); no fields: tests/assets",
    "chat_widget.": "the chat widget's JSON endpoints (CORS): tests/chat/test_channels.py",
    "chat.reply": "on a chat conversation's page, which the fuzzer's workspace has none of: "
    "tests/chat/test_channels.py, tests/chat/test_pages.py",
    "chat.resolve": "on a chat conversation's page (a confirm form): tests/chat/test_pages.py",
    "chat.delete_intent": "a confirm form on an intent's page: tests/test_tenancy_sweep.py",
}
SKIP = {"auth.logout"}  # ends the session; the fuzzer would only sign in again
PER_ENDPOINT = 3
# Posts that may move the owner to another workspace: fuzzed after every other form.
SESSION_CHANGING = (
    "workspace.invite",
    "workspace.switch",
    "workspace.new_workspace",
    "workspace.remove_member",
)
LONG = "x" * 20_000
MUTATIONS = [
    "\x00",
    "Ana\x00Lima",
    "99999999999999999999",
    "2147483648",
    "-1",
    "1e309",
    "NaN",
    LONG,
    "Ωé 漢字 🎉 \u202e\u200b",
    "",
    "   ",
    "not-a-choice",
    "2026-13-45T25:61",
    ["1", "2"],
]
PER_FIELD = ["\x00", "99999999999999999999", LONG, "not-a-choice", ""]
CSV_FILES = [
    b"name,email,phone\nAna Lima,ana@example.com,+14155550100\n",
    b"name,email\nAna\x00Lima,ana\x00@example.com\n",
    b"\xff\xfe\x00\x00garbage",
    b"date,campaign,campaign_id,clicks,spend\n2026-11-20,Spring,99999999999999999999,99999999999999999999,1e309\n",
    b"",
]


@dataclass
class Field:
    name: str
    kind: str  # input type, "select", "textarea", "file"
    value: str = ""
    options: list[str] = field(default_factory=list)


@dataclass
class Target:
    url: str
    htmx: bool
    fields: dict[str, Field]
    vals: dict[str, str] = field(default_factory=dict)


class FormReader(HTMLParser):
    """The post targets of one page: forms that post, and hx-post elements."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page, self.targets, self.forms = page, [], []
        self._select: Field | None = None
        self._textarea: Field | None = None
        self._option: str | None = None
        self._option_selected: bool | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = {k: v or "" for k, v in attrs}
        posts = a.get("hx-post") or (tag == "form" and a.get("method", "").lower() == "post")
        if tag == "form":
            self.forms.append({} if posts or a.get("hx-post") else None)
        form = self.forms[-1] if self.forms else None
        if posts:
            url = a.get("hx-post") or a.get("action") or self.page
            vals = _vals(a.get("hx-vals", ""))
            self.targets.append(Target(url, "hx-post" in a, form if form is not None else {}, vals))
        if tag == "option" and self._select is not None:
            self._option = a.get("value")  # None: the option's text is its value
            if self._option is not None:
                self._choose(self._option, "selected" in a)
            else:
                self._option_selected = "selected" in a
            return
        if form is None or "name" not in a:
            return
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                form.setdefault(a["name"], Field(a["name"], kind, "", [a.get("value", "on")]))
            elif kind not in ("submit", "button", "image", "reset"):
                form[a["name"]] = Field(a["name"], kind, a.get("value", ""))
        elif tag == "select":
            self._select = form[a["name"]] = Field(a["name"], "select")
        elif tag == "textarea":
            self._textarea = form[a["name"]] = Field(a["name"], "textarea")

    def _choose(self, value: str, selected: bool) -> None:
        assert self._select is not None
        self._select.options.append(value)
        if selected or len(self._select.options) == 1:
            self._select.value = value

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data
        elif (
            self._select is not None and self._option is None and self._option_selected is not None
        ):
            self._choose(data.strip(), self._option_selected)
            self._option_selected = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.forms:
            self.forms.pop()
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _vals(raw: str) -> dict:
    try:
        value = json.loads(raw) if raw.strip().startswith("{") else {}
    except ValueError:
        return {}
    return {k: str(v) for k, v in value.items()}


class Fuzzer:
    def __init__(self, app: Flask, client: FlaskClient, user=None) -> None:
        self.app, self.client, self.user = app, client, user
        self.adapter = app.url_map.bind("localhost")
        self.seen: set = set()
        self.queue: list[tuple[str, Target]] = []
        self.reached: set[str] = set()
        self.failures: list[str] = []
        self.posts = 0
        self.token = ""
        self.crash: list[str] = []  # the exception behind a 500, from got_request_exception
        got_request_exception.connect(self._crashed, app)

    def _crashed(self, _sender, exception: BaseException, **_extra) -> None:
        frames = traceback.extract_tb(exception.__traceback__)
        where = next((f for f in reversed(frames) if "/webapp/" in f.filename), frames[-1])
        self.crash.append(f"{exception!r:.300} at {where.filename}:{where.lineno}")

    def endpoint(self, url: str) -> str | None:
        parts = urlsplit(url)
        try:
            return self.adapter.match(parts.path, method="POST", query_args=parts.query)[0]
        except Exception:  # a GET-only or unknown URL: not a post target
            return None

    def read(self, page: str, html: str) -> None:
        """Queue the page's targets not seen before (one per endpoint and set of fields)."""
        if 'name="csrf_token"' in html or "X-CSRFToken" in html:
            self.token = csrf_from(html)
        reader = FormReader(page)
        reader.feed(html)
        for target in reader.targets:
            endpoint = self.endpoint(target.url)
            key = (endpoint, target.htmx, frozenset(target.fields), frozenset(target.vals))
            if not endpoint or endpoint in SKIP or key in self.seen:
                continue
            self.seen.add(key)
            # A page a post answers with can hold a new form each time (the CSV import's
            # preview has one per upload): a few of each endpoint are enough.
            if sum(1 for e, _t in self.queue if e == endpoint) < PER_ENDPOINT:
                self.queue.append((endpoint, target))

    def crawl(self, paths: list[str]) -> None:
        for path in paths:
            response = self.client.get(path)
            if response.mimetype == "text/html":
                self.read(path, response.get_data(as_text=True))
            response.close()

    def post(self, endpoint: str, target: Target, values: dict, files: dict) -> None:
        data: dict = {**target.vals, **values}
        for name, content in files.items():
            data[name] = (io.BytesIO(content), "upload.csv")
        headers = {"X-CSRFToken": self.token}
        if target.htmx:
            headers["HX-Request"] = "true"
        if "csrf_token" in data:
            data["csrf_token"] = self.token
        self.crash.clear()
        response = self.client.post(target.url, data=data, headers=headers)
        html = response.get_data(as_text=True)
        response.close()
        self.posts += 1
        self.reached.add(endpoint)
        if response.status_code >= 500:
            shown = {
                k: (v[:40] + "…" if isinstance(v, str) and len(v) > 40 else v)
                for k, v in values.items()
            }
            self.failures.append(
                f"{endpoint} POST {target.url} {shown!r} → {response.status_code} {self.crash}"
            )
        location = response.headers.get("HX-Redirect") or response.headers.get("Location") or ""
        location = location.removeprefix("http://localhost")
        if self.user is not None and "/login" in location:
            login(self.client, self.user)  # a form that ended the session; sign in again
            self.token = csrf_from(self.client.get("/").get_data(as_text=True))
        elif response.status_code == 200 and response.mimetype == "text/html":
            self.read(urlsplit(target.url).path, html)
        elif location.startswith("/"):
            self.crawl([location])

    def fuzz(self, endpoint: str, target: Target) -> None:
        editable = {
            n: f for n, f in target.fields.items() if n != "csrf_token" and f.kind != "file"
        }
        base = {n: f.value for n, f in target.fields.items() if f.kind != "file"}
        files = {n: CSV_FILES[0] for n, f in target.fields.items() if f.kind == "file"}
        self.post(endpoint, target, base, files)
        for content in CSV_FILES[1:] if files else []:
            self.post(endpoint, target, base, dict.fromkeys(files, content))
        if not editable and not target.vals:
            self.post(
                endpoint, target, {**base, "junk": "\x00", "id": "99999999999999999999"}, files
            )
            return
        for mutation in MUTATIONS:
            everything = {
                **dict.fromkeys(target.vals, mutation),
                **dict.fromkeys(editable, mutation),
            }
            self.post(endpoint, target, {**base, **everything}, files)
        if len(editable) + len(target.vals) > 1:
            for name in [*editable, *target.vals]:
                for mutation in PER_FIELD:
                    self.post(endpoint, target, {**base, name: mutation}, files)

    def run(self, last: tuple[str, ...] = ()) -> None:
        """Fuzz every queued target, those of the `last` endpoints (which change the session
        or the workspace) after the others; targets found on the way join the queue."""
        done = 0
        while done < len(self.queue):
            self.queue[done:] = sorted(self.queue[done:], key=lambda item: item[0] in last)
            endpoint, target = self.queue[done]
            done += 1
            self.fuzz(endpoint, target)


def _extra_pages(app: Flask, ids: dict, charlie) -> tuple[list[str], list[str]]:
    """(the visitor's pages, more of the owner's) with forms the crawl of ids does not reach:
    sign-in, sign-up, an invite, an unsubscribe link, a password reset link (the staff
    member's, so the owner's session lives on), the public form; the campaign with
    tasks, a failed message's Retry, a second workspace to switch to, and the broadcasts
    that are sending or paused."""
    from tests.conftest import add_member, org_of
    from webapp.models import CampaignTask, Membership, QueuedJob, Send, User
    from webapp.services.accounts.passwords import request_reset
    from webapp.services.accounts.people import create_invite
    from webapp.services.leads.forms import form_token
    from webapp.services.messaging.tracking import make_token

    secret = app.config["SECRET_KEY"]
    org_id = ids["org_id"]
    owner = db.session.scalars(
        db.select(Membership).where(Membership.org_id == org_id, Membership.role == "owner")
    ).first()
    _invite, invite = create_invite(db.session, owner, "staff", "fuzz", now=START)
    theirs = db.session.scalars(
        db.select(Membership).where(Membership.user_id == charlie.id)
    ).first()
    _invite, their_invite = create_invite(db.session, theirs, "staff", "fuzz", now=START)
    add_member(db.session.get(User, owner.user_id), org_of(charlie), "staff")
    job = db.session.get(QueuedJob, ids["job_id"])
    job.status, job.last_error = "failed", "fuzz: failed for the Retry button"
    tasks = db.session.get(CampaignTask, ids["task_id"]).campaign_id
    send_id = db.session.scalars(db.select(Send.id).where(Send.org_id == org_id)).first()
    staff = db.session.scalars(
        db.select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.org_id == org_id, Membership.role == "staff")
    ).first()
    _user, reset = request_reset(db.session, staff.email, ip="127.0.0.1", now=START, minutes=60)
    db.session.commit()
    from webapp.models import LandingPage, Organization

    landing = db.session.scalars(  # the tenancy sweep's page, published: its form is public
        db.select(LandingPage).where(
            LandingPage.org_id == org_id, LandingPage.status == "published"
        )
    ).first()
    visitor = [
        f"/p/{db.session.get(Organization, org_id).public_slug}/{landing.slug}",
        "/login",
        "/signup",
        f"/invites/{invite}",
        f"/invites/{invite}/signup",
        f"/u/{make_token(secret, 'unsubscribe', send_id)}",
        f"/password/reset/{reset}",
        f"/f/{form_token(secret, org_id)}",
    ]
    from webapp.models import Broadcast

    started = db.session.scalars(  # their pages hold Pause and Resume
        db.select(Broadcast.id).where(
            Broadcast.org_id == org_id, Broadcast.status.in_(("sending", "paused"))
        )
    ).all()
    broadcasts = [f"/broadcasts/{broadcast_id}" for broadcast_id in started]
    return visitor, [
        "/leads/import",
        f"/campaigns/{tasks}",
        f"/invites/{their_invite}",
        *broadcasts,
    ]


def _public_form(fuzzer: Fuzzer, path: str) -> None:
    """/f/<token> is posted to by other sites: its fields are the lead's, as the snippet has."""
    names = ["name", "email", "phone", "company", "message", "next", "website"]
    fields = {n: Field(n, "text", "") for n in names}
    fields["email"].value = "visitor@example.com"
    fuzzer.queue.append(("lead_form.submit", Target(path, False, fields)))
    fuzzer.seen.add(("lead_form.submit",))


@pytest.fixture
def workspace(app, alice, alice_org, bob, support_user, clock) -> dict[str, int]:
    return _workspace(app, alice_org, alice, clock)


def _served(work) -> None:
    """Run `work` in a thread of its own, as a server runs requests: each request then has
    its own app context (its own session and `g`, removed after it) instead of sharing the
    test's, so one request's unfinished transaction cannot leak into the next."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def test_no_form_answers_a_server_error_whatever_it_is_sent(
    app, workspace, alice, charlie, clock, monkeypatch
):
    from webapp.services.leads import forms as lead_forms

    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash answers 500 rather than raising here
    # The public form's limits would answer 429 after ten posts, before its fields are read.
    monkeypatch.setattr(lead_forms, "IP_LIMIT", (10_000, lead_forms.IP_LIMIT[1]))
    monkeypatch.setattr(lead_forms, "ORG_LIMIT", (10_000, lead_forms.ORG_LIMIT[1]))
    public, more = _extra_pages(app, workspace, charlie)
    pages = [p for e, p in _paths(app, workspace) if not p.endswith((".csv", ".json", ".gif"))]
    db.session.commit()
    visitor = Fuzzer(app, app.test_client())
    owner_user = SimpleNamespace(email=alice.email)  # read outside the test's app context
    owner = Fuzzer(app, app.test_client(), owner_user)

    def visit() -> None:
        visitor.crawl(public[:-1])
        _public_form(visitor, public[-1])
        visitor.run()

    def own() -> None:
        login(owner.client, owner_user)
        owner.crawl([*more, *pages])
        owner.run(last=SESSION_CHANGING)

    _served(visit)
    clock.advance(hours=1)  # past any sign-in lockout the visitor's posts caused
    _served(own)

    reached = visitor.reached | owner.reached
    posts = {r.endpoint for r in app.url_map.iter_rules() if "POST" in r.methods}
    unreached = sorted(e for e in posts - reached if not e.startswith(tuple(NOT_FORMS)))
    assert not unreached, f"no page posts to {unreached}: add the page, or a reason to NOT_FORMS"
    failures = visitor.failures + owner.failures
    print(f"form fuzzer: {visitor.posts + owner.posts} posts to {len(reached)} endpoints")
    assert not failures, f"{len(failures)} × 5xx:\n" + "\n".join(failures[:60])
