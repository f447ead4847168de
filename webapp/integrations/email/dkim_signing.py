"""DKIM signatures (RFC 6376) with the `dkimpy` library, and the keys they need.

The signature covers the headers a receiver judges us by, including `List-Unsubscribe` and
`List-Unsubscribe-Post`: RFC 8058 §4 asks for both to be signed before a mail provider
offers one-click unsubscribe, and dkimpy's default header set leaves them out.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

# Signed when present (h= lists only these, in this order).
SIGNED_HEADERS = (
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "List-Id",
    "Reply-To",
    "Feedback-ID",
    "Auto-Submitted",
    "MIME-Version",
    "Content-Type",
)
KEY_BITS = 2048
SELECTOR = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


@dataclass(frozen=True)
class DkimKey:
    domain: str  # d=, the From address's domain (or its organisational domain)
    selector: str  # s=: the record lives at <selector>._domainkey.<domain>
    private_key: str = ""  # PEM; never logged, never shown back

    def __repr__(self) -> str:  # keeps the key out of tracebacks and logs
        return f"DkimKey(domain={self.domain!r}, selector={self.selector!r})"


def _present(head: bytes) -> list[bytes]:
    names = {
        line.split(b":", 1)[0].strip().lower()
        for line in head.split(b"\r\n")
        if line and not line[:1].isspace() and b":" in line
    }
    return [name.encode() for name in SIGNED_HEADERS if name.lower().encode() in names]


def sign(message: bytes, key: DkimKey) -> bytes:
    """`message` (CRLF line ends) with a DKIM-Signature header in front.

    Raises ValueError when the key cannot sign (not a PEM RSA key, a bad domain)."""
    head = message.split(b"\r\n\r\n", 1)[0]
    try:
        signature = dkim.sign(
            message,
            key.selector.encode(),
            key.domain.encode(),
            key.private_key.encode(),
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=_present(head),
        )
    except dkim.DKIMException as exc:
        raise ValueError(f"DKIM signing failed: {exc}") from None
    return signature + message


def generate_key() -> str:
    """A new RSA 2048 private key, as PEM (PKCS#8)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    return private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_key_b64(private_pem: str) -> str:
    """The p= value: the public half as base64 DER (SubjectPublicKeyInfo).

    Raises ValueError when `private_pem` is not an RSA private key."""
    try:
        private = serialization.load_pem_private_key(private_pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError("That is not a PEM private key without a passphrase.") from exc
    if not isinstance(private, rsa.RSAPrivateKey):
        raise ValueError("The key must be an RSA key.")
    if private.key_size < 1024:
        raise ValueError("The key is too short: use at least 1024 bits (2048 is usual).")
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def dns_record(key: DkimKey) -> tuple[str, str]:
    """(name, value) of the TXT record to publish for `key`."""
    return (
        f"{key.selector}._domainkey.{key.domain}",
        f"v=DKIM1; k=rsa; p={public_key_b64(key.private_key)}",
    )
