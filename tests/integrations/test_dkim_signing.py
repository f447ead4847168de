"""DKIM: a signed message verifies with dkimpy against the published key and covers the
RFC 8058 headers; the workspace's key signs what the dispatcher sends; the settings page
generates a key, shows the DNS record and never the key."""

from __future__ import annotations

import re

import dkim
import pytest

from tests.conftest import START, csrf_token, login
from tests.fakes import smtp_server
from tests.fakes.smtp_server import use_smtp
from tests.messaging.factories import WELCOME, make_contact, make_sequence
from webapp.core.extensions import db
from webapp.integrations.email.dkim_signing import DkimKey, dns_record, generate_key, sign
from webapp.integrations.email.mime import EmailMessageSpec, message_bytes
from webapp.services.connections import dkim_settings, load_credentials, save_dkim
from webapp.services.messaging.dispatch import process_due

smtp_sink = smtp_server.smtp_sink  # the fixture
KEY = DkimKey("alicebakes.example", "autopilot1", generate_key())
UNSUBSCRIBE = {
    "List-Unsubscribe": "<https://alicebakes.example/u/abc>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
}


def dns_for(key: DkimKey):
    name, value = dns_record(key)

    def lookup(qname: bytes, timeout: int = 5) -> bytes:
        return value.encode() if qname.decode().rstrip(".") == name else b""

    return lookup


def signed_headers(message: bytes) -> set[str]:
    signature = message.split(b"\r\n\r\n", 1)[0].decode()
    found = re.search(r"\bh=([^;]+)", signature)
    return {h.strip().lower() for h in re.sub(r"\s+", "", found.group(1)).split(":")}


def mail(**headers: str) -> bytes:
    spec = EmailMessageSpec(
        to="dana@example.org", subject="Fresh bread", text="Hi Dana", html="<p>Hi Dana</p>",
        headers={**UNSUBSCRIBE, **headers}, message_id="<abc@alicebakes.example>",
    )  # fmt: skip
    return message_bytes(spec, "Alice Bakes <hello@alicebakes.example>")[0]


def test_it_signs_and_the_signature_verifies_against_the_published_key():
    signed = sign(mail(), KEY)

    assert signed.startswith(b"DKIM-Signature:")
    assert dkim.verify(signed, dnsfunc=dns_for(KEY))
    assert {"from", "to", "subject", "date", "message-id", "list-unsubscribe",
            "list-unsubscribe-post"} <= signed_headers(signed)  # fmt: skip


def test_a_changed_unsubscribe_header_breaks_the_signature():
    signed = sign(mail(), KEY)
    forged = signed.replace(b"https://alicebakes.example/u/abc", b"https://evil.example/u/abc")

    assert not dkim.verify(forged, dnsfunc=dns_for(KEY))
    other = DkimKey(KEY.domain, KEY.selector, generate_key())
    assert not dkim.verify(signed, dnsfunc=dns_for(other))


def test_the_key_never_shows_in_its_repr():
    assert "PRIVATE" not in repr(KEY) and "PRIVATE" not in str(KEY)


def test_the_dispatcher_sends_mail_signed_with_the_workspace_key(app, alice_org, smtp_sink):
    use_smtp(app, smtp_sink)
    save_dkim(db.session, alice_org.id, domain="alicebakes.example", selector="s1",
              private_key=None, generate=True, actor_id=None, now=START)  # fmt: skip
    make_sequence(alice_org, steps=WELCOME[:1])
    make_contact(alice_org, email="dana@example.org", name="Dana")
    db.session.commit()

    assert process_due(app, now=START).sent == 1

    [received] = smtp_sink.messages
    saved = load_credentials(db.session, alice_org.id, "dkim")
    key = DkimKey("alicebakes.example", "s1", saved["private_key"])
    assert dkim.verify(received.content, dnsfunc=dns_for(key))
    assert {"list-unsubscribe", "list-unsubscribe-post"} <= signed_headers(received.content)


def test_a_bad_key_is_refused_with_a_field_error(app, alice_org):
    from webapp.services.connections import DkimError

    with pytest.raises(DkimError) as bad:
        save_dkim(db.session, alice_org.id, domain="alicebakes.example", selector="s1",
                  private_key="not a key", actor_id=None, now=START)  # fmt: skip
    assert bad.value.field == "private_key"
    with pytest.raises(DkimError) as bad:
        save_dkim(db.session, alice_org.id, domain="https://x", selector="s1",
                  private_key=None, generate=True, actor_id=None, now=START)  # fmt: skip
    assert bad.value.field == "domain"


def test_the_page_generates_a_key_and_shows_only_the_dns_record(app, client, alice, alice_org):
    login(client, alice)
    token = csrf_token(client, "/settings/integrations/dkim")
    response = client.post(
        "/settings/integrations/dkim/generate",
        data={"csrf_token": token, "domain": "alicebakes.example", "selector": "autopilot1",
              "private_key": ""},
    )  # fmt: skip
    assert response.status_code == 302
    page = client.get("/settings/integrations/dkim").get_data(as_text=True)
    current = dkim_settings(db.session, alice_org.id)
    assert current.record_name == "autopilot1._domainkey.alicebakes.example"
    assert current.record_name in page and current.record_value in page
    assert "v=DKIM1; k=rsa; p=" in page and "PRIVATE KEY" not in page

    bad = client.post(
        "/settings/integrations/dkim",
        data={"csrf_token": token, "domain": "alicebakes.example", "selector": "bad selector!",
              "private_key": ""},
    )  # fmt: skip
    assert bad.status_code == 422 and "letters, digits and dashes" in bad.get_data(as_text=True)


def test_a_teammate_cannot_change_dkim(app, client, bob, alice_org):
    login(client, bob)
    token = csrf_token(client, "/settings/integrations/dkim")
    response = client.post(
        "/settings/integrations/dkim/generate",
        data={"csrf_token": token, "domain": "alicebakes.example", "selector": "s1"},
    )
    assert response.status_code in (302, 403)
    assert dkim_settings(db.session, alice_org.id) is None
