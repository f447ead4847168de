"""Header values of our mail: addresses built from the email package's address objects,
RFC 2047 encoded words that keep to its 75-character limit, Message-IDs on the sender's
domain, and the rule that one-click unsubscribe links must be https (RFC 8058).

The compat32 `Header` class writes 76-character encoded words and `formataddr` one word of
any length for a long name (measured: 93 and 104 characters); RFC 2047 §2 allows 75, so
non-ASCII text is encoded here, in words that also fit the first line of their header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
from email.headerregistry import Address
from email.policy import default as _modern
from email.utils import formataddr
from functools import lru_cache
from urllib.parse import urlsplit

MAX_WORD = 75  # RFC 2047 §2: an encoded word is at most 75 characters
MAX_LINE = 76  # RFC 2047 §2: a header line holding encoded words is at most 76 characters
_PREFIX, _SUFFIX = "=?utf-8?b?", "?="
_BARE_SPECIALS = frozenset('<>,;:"()[]\\ \t\r\n')


class AddressError(ValueError):
    """A From or To value that is not exactly one usable address; says how to write it."""


# --- encoded words -----------------------------------------------------------------------------


def _room(first: int) -> int:
    """How many UTF-8 octets fit in a base64 word of at most `first` characters."""
    return max((first - len(_PREFIX) - len(_SUFFIX)) // 4 * 3, 3)


def encoded_words(text: str, *, name: str = "") -> str:
    """`text` as UTF-8 base64 encoded words separated by spaces (each ≤ 75 characters,
    never splitting a character), the first one short enough to share the line with
    `Name: `. ASCII text comes back as it is."""
    if text.isascii():
        return text
    data = text.encode("utf-8", "surrogatepass")
    words, start = [], 0
    room = _room(min(MAX_WORD, MAX_LINE - len(name) - 2))
    while start < len(data):
        end = min(start + room, len(data))
        while end < len(data) and end > start + 1 and (data[end] & 0xC0) == 0x80:
            end -= 1  # a continuation octet: cut before the character it belongs to
        words.append(_PREFIX + base64.b64encode(data[start:end]).decode("ascii") + _SUFFIX)
        start, room = end, _room(MAX_WORD)
    return " ".join(words)


def header_value(value: object, *, name: str = "") -> str:
    """A header value on one line (a line break would be header injection; templates may
    produce one), encoded when it is not ASCII."""
    return encoded_words(" ".join(str(value).split()), name=name)


# --- addresses ---------------------------------------------------------------------------------


@lru_cache(maxsize=256)  # senders repeat; recipients take the bare-address path below
def parse_address(value: str) -> Address:
    """Exactly one address from a From/To value such as `"Smith, Jones & Co" <a@b.com>`.

    Raises AddressError naming the problem: an unquoted comma makes two addresses (the
    name's first word would become the address), a missing @ none at all."""
    text = " ".join((value or "").split())
    if not text:
        raise AddressError("No address given.")
    header = _modern.header_factory("From", text)
    found = list(header.addresses)
    if len(found) != 1:
        raise AddressError(
            f"{value!r} is {len(found)} addresses, not one (a comma separates addresses): "
            'put a name that contains a comma in double quotes, e.g. "Smith, Jones & Co" '
            "<hello@example.com>."
        )
    address = found[0]
    if not address.username or not address.domain or "@" not in address.addr_spec:
        raise AddressError(
            'Enter a valid email address, e.g. hello@example.com or "Your Business" '
            f"<hello@example.com> ({value!r} has none)."
        )
    return address


def address_domain(value: str) -> str:
    """The domain of a From value (for Message-IDs), "localhost" when it has none."""
    try:
        return parse_address(value).domain or "localhost"
    except AddressError:
        return "localhost"


def format_address(value: str, *, name: str = "") -> str:
    """A From/To header value: the address, with its display name quoted (ASCII) or in
    encoded words (otherwise). Raises AddressError for anything but one address."""
    if "@" in value and not any(c in _BARE_SPECIALS for c in value):
        return value  # a bare address (a contact's): nothing to quote
    address = parse_address(value)
    display = " ".join(address.display_name.split())
    if not display:
        return address.addr_spec
    if display.isascii():
        return formataddr((display, address.addr_spec))
    return f"{encoded_words(display, name=name)} <{address.addr_spec}>"


# --- Message-IDs ---------------------------------------------------------------------------------


def random_message_id(domain: str) -> str:
    """A fresh `<128 random bits@domain>`: never repeats, whatever row ids are reused."""
    return f"<{secrets.token_hex(16)}@{domain}>"


def keyed_message_id(secret: str, domain: str, *parts: object) -> str:
    """A Message-ID the same on every attempt of one piece of work, unguessable and carrying
    nothing readable (no row id, no address): an HMAC of `parts`, which must name the work
    uniquely for all time (e.g. a job's id and its creation time, since SQLite reuses ids)."""
    key = "\x1f".join(str(p) for p in parts).encode()
    digest = hmac.new(secret.encode(), key, hashlib.sha256).hexdigest()[:32]
    return f"<{digest}@{domain}>"


# --- links in mail -------------------------------------------------------------------------------


def insecure_public_url(public_url: str | None) -> str | None:
    """Why real mail must not go out with links on `public_url`, or None when it may: RFC
    8058 one-click unsubscribe needs https. A loopback address (127.0.0.0/8, ::1,
    localhost) is allowed for testing."""
    parts = urlsplit(public_url or "")
    if parts.scheme == "https" and parts.hostname:
        return None
    host = (parts.hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    return (
        f"PUBLIC_URL is {public_url or '(unset)'}, not https: mail providers only honour "
        "one-click unsubscribe links (RFC 8058) over https, so no email is sent through the "
        "mail server until PUBLIC_URL is the https address people reach this app at."
    )
