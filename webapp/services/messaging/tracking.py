"""Tracking: signed links for unsubscribe, the open pixel and click redirects; counting.

Tokens are signed with the app's secret (itsdangerous), so nobody can forge one. A click
token carries the send and the number of the link in the message, and the redirect goes
to that link of the message as it was sent — there is no open redirect: no address can be
smuggled in, only the ones the message itself contained. Opens, clicks and conversions
are counted per send and feed the campaign's daily metrics (source "tracked"), the first
open and first click of a send once each, in the workspace's calendar day.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from html import escape
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from itsdangerous import BadSignature, Signer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from webapp.core.db import dialect_insert
from webapp.models import CampaignMetric, Lead, Organization
from webapp.models.sequence import Enrollment, Send
from webapp.services.events import record_product_event
from webapp.services.messaging.templating import links_in

SALTS = {
    "unsubscribe": "track.unsubscribe",
    "open": "track.open",
    "click": "track.click",
    "bounce": "track.bounce",  # the VERP return path (services/suppression/verp.py)
    "confirm": "track.confirm",  # double opt-in links (services/messaging/optin.py)
}
# An <a> of our HTML (the templating's or a layout's): attributes, the href, the visible text.
ANCHOR = re.compile(
    r'<a\b(?P<before>[^>]*?\s)href="(?P<href>https?://[^"]+)"(?P<after>[^>]*)>(?P<text>.*?)</a>',
    re.IGNORECASE | re.DOTALL,
)
TAG = re.compile(r"<[^>]*>")
URL_LIKE = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*:(?://)?\S|www\.\S|[\w-]+(?:\.[\w-]+)+(?:[:/?#]\S*)?$)", re.I
)
# SpamAssassin's HTML_IMAGE_ONLY_04 … _32 add 0.6–2.8 points to an HTML part of at most
# 3,200 characters (its source) that holds an image: a short mail goes without the pixel.
PIXEL_MIN_HTML = 3200
PIXEL_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


class _Signer(Signer):
    """itsdangerous's Signer with its key derived once (it would derive it on every call)."""

    def __init__(self, secret: str, salt: str) -> None:
        super().__init__(secret, salt=salt)
        self._key = super().derive_key()

    def derive_key(self, secret_key=None) -> bytes:
        return self._key if secret_key is None else super().derive_key(secret_key)


@lru_cache(maxsize=16)
def _signer(secret: str, purpose: str) -> _Signer:
    return _Signer(secret, SALTS[purpose])


def make_token(secret: str, purpose: str, *values: int) -> str:
    """A signed token carrying whole numbers, e.g. "1234-0.<signature>" (short: it goes in links)."""
    return _signer(secret, purpose).sign("-".join(str(int(v)) for v in values)).decode()


def read_token(secret: str, purpose: str, token: str) -> list[int] | None:
    """The numbers signed in `token`, or None when it is not one of ours (for this purpose)."""
    try:
        value = _signer(secret, purpose).unsign(token).decode()
        return [int(part) for part in value.split("-")]
    except (BadSignature, UnicodeError, ValueError):
        return None


@dataclass(frozen=True)
class Decorated:
    text: str
    html: str
    headers: dict[str, str]


class LinkMaker:
    """Builds the tracked addresses of one deployment (public URL and secret fixed)."""

    def __init__(self, public_url: str, secret: str) -> None:
        self.base = (public_url or "http://127.0.0.1:8000").rstrip("/")
        self.scheme = urlsplit(self.base).scheme or "http"
        self.secret = secret

    def tracking_base(self, host: str | None) -> str:
        """Where clicks and the pixel go: the workspace's tracking domain (a CNAME to this
        deployment, same scheme as PUBLIC_URL) when it set one, else PUBLIC_URL."""
        return f"{self.scheme}://{host}" if host else self.base

    def unsubscribe(self, send_id: int) -> str:
        return f"{self.base}/u/{make_token(self.secret, 'unsubscribe', send_id)}"

    def pixel(self, send_id: int, host: str | None = None) -> str:
        return f"{self.tracking_base(host)}/o/{make_token(self.secret, 'open', send_id)}.gif"

    def click(self, send_id: int, index: int, host: str | None = None) -> str:
        """The tracked address of the message's link number `index` (see `links_in`)."""
        token = make_token(self.secret, "click", send_id, index)
        return f"{self.tracking_base(host)}/c/{token}"

    def decorate_email(
        self,
        send_id: int,
        text: str,
        html: str,
        *,
        org_name: str,
        postal_address: str | None = None,
        layout=None,
        subject: str = "",
        pixel: bool = True,
        tracking_host: str | None = None,
    ) -> Decorated:
        """Add the unsubscribe footer (with the workspace's postal address: CAN-SPAM wants
        one in marketing mail), the List-Unsubscribe headers (RFC 8058 one-click), the open
        pixel (unless the workspace switched it off, or the mail is too short for one), and
        click-tracked links in the HTML part, on the workspace's tracking domain when it has
        one. With `layout` (the workspace's compiled `EmailLayout`, whose footer has the
        address) the HTML is framed in it, the unsubscribe link and the pixel in its footer."""
        unsubscribe = self.unsubscribe(send_id)
        numbers = {url: i for i, url in enumerate(links_in(text))}

        def tracked_anchor(match: re.Match) -> str:
            index = numbers.get(_unescape(match.group("href")))
            if index is None:
                return match.group(0)
            href = self.click(send_id, index, tracking_host)
            inner = match.group("text")
            if looks_like_url(_unescape(TAG.sub("", inner))):
                # A visible address must not lead elsewhere (mail apps and spam filters call
                # that phishing): the tracked link names the site in words instead.
                inner = escape(link_label(_unescape(match.group("href"))))
            return f'<a{match.group("before")}href="{href}"{match.group("after")}>{inner}</a>'

        tracked = ANCHOR.sub(tracked_anchor, html)
        postal = " ".join((postal_address or "").split())  # one line in either part
        footer_text = (
            f"\n\n--\nYou receive this from {org_name}"
            + (f", {postal}" if postal else "")
            + f". Unsubscribe: {unsubscribe}\n"
        )
        pixel_url = self.pixel(send_id, tracking_host) if pixel else ""
        framed = _frame(tracked, layout, subject, unsubscribe, pixel_url, org_name, postal)
        return Decorated(
            text=text + footer_text,
            html=framed,
            headers={
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )


def looks_like_url(text: str) -> bool:
    """Whether a link's visible text reads as a web address: a scheme ("https://…",
    "mailto:…"), "www.…", or one word made of a host name and maybe a path."""
    value = text.strip()
    return bool(value) and bool(URL_LIKE.match(value))


def link_label(url: str) -> str:
    """Words naming where a tracked link leads, never an address: "Open alicebakes.example"
    has a space, so no mail app or filter takes it for a link of its own."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    return f"Open {host}" if host else "Open the link"


def _frame(
    html: str, layout, subject: str, unsubscribe: str, pixel_url: str, org_name: str, postal: str
) -> str:
    """The HTML in the brand's frame (or a plain footer), with the pixel only in a mail
    long enough for one (PIXEL_MIN_HTML)."""
    if layout is not None:
        frame = {"subject": subject, "unsubscribe_url": unsubscribe}
        framed = layout.wrap(html, **frame)
        if pixel_url and len(framed) > PIXEL_MIN_HTML:
            framed = layout.wrap(html, **frame, pixel_url=pixel_url)
        return framed
    framed = html + (
        f'\n<p style="color:#666;font-size:12px">You receive this from {escape(org_name)}'
        + (f", {escape(postal)}" if postal else "")
        + f'. <a href="{escape(unsubscribe)}">Unsubscribe</a></p>'
    )
    if pixel_url and len(framed) > PIXEL_MIN_HTML:
        framed += f'\n<img src="{escape(pixel_url)}" width="1" height="1" alt="">'
    return framed


def _unescape(value: str) -> str:
    return (
        value.replace("&amp;", "&")
        .replace("&quot;", '"')
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
    )


# --- reading tokens ----------------------------------------------------------------------------


def send_for(session: Session, secret: str, purpose: str, token: str) -> tuple[Send | None, list]:
    values = read_token(secret, purpose, token)
    if not values or not isinstance(values[0], int):
        return None, []
    return session.get(Send, values[0]), values[1:]


def safe_destination(send: Send, index: object) -> str | None:
    """The message's link number `index` (an http(s) address that was in the message sent),
    else None: a click can only lead where the message itself pointed."""
    links = links_in(send.body_text or "")
    if not isinstance(index, int) or not 0 <= index < len(links):
        return None
    url = links[index]
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


# Link scanners that announce themselves (mail security gateways fetch every link of a
# message before the person sees it); most others are caught by HEAD or a prefetch header.
SCANNER_AGENTS = ("barracuda", "mimecast", "proofpoint", "bingpreview", "linkcheck", "scanner")
PREFETCH_HEADERS = ("Purpose", "Sec-Purpose", "X-Purpose", "X-Moz")


def not_a_person(method: str, headers: Mapping[str, str]) -> str | None:
    """Why a request for a tracked link or the pixel is no open or click, or None: a HEAD
    (a scanner checking the link), a browser's prefetch or preview, a known link scanner."""
    if method.upper() == "HEAD":
        return "head"
    for name in PREFETCH_HEADERS:
        value = (headers.get(name) or "").lower()
        if "prefetch" in value or "preview" in value:
            return "prefetch"
    agent = (headers.get("User-Agent") or "").lower()
    return "scanner" if any(marker in agent for marker in SCANNER_AGENTS) else None


# --- counting ------------------------------------------------------------------------------------


def _metric_day(session: Session, org_id: int, now: datetime):
    org = session.get(Organization, org_id)
    try:
        return now.astimezone(ZoneInfo(org.timezone if org else "UTC")).date()
    except (KeyError, ValueError):
        return now.date()


def add_to_metrics(
    session: Session,
    org_id: int,
    campaign_id: int,
    *,
    now: datetime,
    impressions: int = 0,
    clicks: int = 0,
    conversions: int = 0,
    revenue: Decimal = Decimal("0"),
) -> None:
    """Add counts to the campaign's metrics of today (workspace calendar), creating the row."""
    day = _metric_day(session, org_id, now)
    stmt = dialect_insert(session)(CampaignMetric).values(
        org_id=org_id,
        campaign_id=campaign_id,
        day=day,
        impressions=impressions,
        clicks=clicks,
        spend=Decimal("0"),
        leads=0,
        conversions=conversions,
        revenue=revenue,
        source="tracked",
        updated_at=now,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["campaign_id", "day"],
        set_={
            "impressions": CampaignMetric.impressions + impressions,
            "clicks": CampaignMetric.clicks + clicks,
            "conversions": CampaignMetric.conversions + conversions,
            "revenue": CampaignMetric.revenue + revenue,
            "updated_at": now,
        },
    )
    session.execute(stmt)


def record_open(session: Session, send: Send, *, now: datetime) -> bool:
    """Count an open. Returns True for the send's first open (counted in the metrics)."""
    first = send.first_opened_at is None
    session.execute(
        update(Send)
        .where(Send.id == send.id)
        .values(opens=Send.opens + 1, first_opened_at=send.first_opened_at or now)
        .execution_options(synchronize_session=False)
    )
    if first and not send.test_mode:
        add_to_metrics(session, send.org_id, send.campaign_id, now=now, impressions=1)
        _event(session, send, "email.opened", f"open:{send.id}", now)
    return first


def record_click(session: Session, send: Send, *, now: datetime) -> bool:
    """Count a click (a click also proves an open). True for the send's first click."""
    first = send.first_clicked_at is None
    if send.first_opened_at is None:
        record_open(session, send, now=now)
    session.execute(
        update(Send)
        .where(Send.id == send.id)
        .values(clicks=Send.clicks + 1, first_clicked_at=send.first_clicked_at or now)
        .execution_options(synchronize_session=False)
    )
    if first and not send.test_mode:
        add_to_metrics(session, send.org_id, send.campaign_id, now=now, clicks=1)
        _event(session, send, "email.clicked", f"click:{send.id}", now)
    return first


def _event(session: Session, send: Send, name: str, message_id: str, now: datetime) -> None:
    """The contact's first open or click of a send as an event (segments and workflows
    react to it); the id is the send's, so a second first-open race stores one event."""
    props = {"send_id": send.id, "campaign_id": send.campaign_id, "subject": send.subject[:200]}
    record_product_event(
        session, send.org_id, send.lead_id, name, props, message_id=message_id, now=now
    )


def record_conversions(session: Session, *, org_id: int | None, now: datetime) -> int:
    """Count contacts who became customers (lead status "won") after enrolling in a sequence,
    once per enrolment. Returns how many conversions were added to the metrics."""
    query = (
        select(Enrollment.id, Enrollment.org_id, Enrollment.campaign_id)
        .join(Lead, Lead.id == Enrollment.lead_id)
        .where(
            Enrollment.converted_at.is_(None), Enrollment.test_mode.is_(False), Lead.status == "won"
        )
    )
    if org_id is not None:
        query = query.where(Enrollment.org_id == org_id)
    rows = session.execute(query.limit(10_000)).all()
    per_campaign: dict[tuple[int, int], int] = {}
    for enrollment_id, row_org, campaign_id in rows:
        done = session.execute(
            update(Enrollment)
            .where(Enrollment.id == enrollment_id, Enrollment.converted_at.is_(None))
            .values(converted_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if done:
            per_campaign[(row_org, campaign_id)] = per_campaign.get((row_org, campaign_id), 0) + 1
    for (row_org, campaign_id), count in per_campaign.items():
        add_to_metrics(session, row_org, campaign_id, now=now, conversions=count)
    return sum(per_campaign.values())
