"""Email providers' bounce and complaint webhooks: the signature is checked with the
workspace's secret first (401 otherwise, nothing looked up), each event acts once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import ssl
import threading
import time

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

from tests.conftest import START, org_of
from tests.fakes.tls import make_cert
from webapp.core.extensions import db
from webapp.models import BounceEvent
from webapp.services.connections import save_credentials
from webapp.services.suppression import blocked

MAILGUN_KEY = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"


def save_hooks(org_id: int, **values) -> None:
    save_credentials(db.session, org_id, "email_hooks", values, actor_id=None, now=START)
    db.session.commit()


def mailgun_body(event: str = "failed", *, key: str = MAILGUN_KEY, event_id="mg-1", ts=None):
    timestamp, token = (
        str(int(ts or time.time())),
        "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0",
    )
    signature = hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    return {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": {
            "event": event, "id": event_id, "severity": "permanent",
            "recipient": "Dana@Example.org",
            "delivery-status": {"code": 550, "message": "5.1.1 The email account that you tried to reach does not exist."},
        },
    }  # fmt: skip


def test_mailgun_bounce_suppresses_once_and_a_bad_signature_is_401(client, alice_org):
    save_hooks(alice_org.id, mailgun_signing_key=MAILGUN_KEY)
    url = f"/webhooks/email/mailgun/{alice_org.id}"
    forged = client.post(url, json=mailgun_body(key="not-the-key"))
    assert forged.status_code == 401
    assert db.session.query(BounceEvent).count() == 0
    stale = client.post(url, json=mailgun_body(ts=time.time() - 3600))
    assert stale.status_code == 401
    for _ in range(2):
        response = client.post(url, json=mailgun_body())
        assert response.status_code == 200
    assert response.get_json() == {"suppressed": 0, "repeated": 1, "skipped": 0}
    assert blocked(db.session, alice_org.id, "email", "dana@example.org") == "hard_bounce"
    client.post(url, json=mailgun_body("complained", event_id="mg-2"))
    assert blocked(db.session, alice_org.id, "email", "dana@example.org") == "complaint"


def test_a_workspace_without_secrets_or_another_workspace_is_401(client, alice_org, charlie):
    save_hooks(alice_org.id, mailgun_signing_key=MAILGUN_KEY)
    assert (
        client.post(
            f"/webhooks/email/mailgun/{org_of(charlie).id}", json=mailgun_body()
        ).status_code
        == 401
    )
    assert client.post("/webhooks/email/mailgun/999999", json=mailgun_body()).status_code == 401
    assert client.post(f"/webhooks/email/other/{alice_org.id}", json={}).status_code == 404


def test_postmark_basic_auth(client, alice_org):
    save_hooks(alice_org.id, postmark_username="hooks", postmark_password="pm-secret-123456")
    url = f"/webhooks/email/postmark/{alice_org.id}"
    body = {"RecordType": "Bounce", "ID": 4323372036854775807, "Type": "HardBounce", "TypeCode": 1,
            "Email": "erin@example.org", "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
            "MessageStream": "outbound"}  # fmt: skip
    bad = base64.b64encode(b"hooks:wrong").decode()
    assert client.post(url, json=body, headers={"Authorization": f"Basic {bad}"}).status_code == 401
    assert client.post(url, json=body).status_code == 401
    good = base64.b64encode(b"hooks:pm-secret-123456").decode()
    assert (
        client.post(url, json=body, headers={"Authorization": f"Basic {good}"}).status_code == 200
    )
    assert blocked(db.session, alice_org.id, "email", "erin@example.org") == "hard_bounce"
    soft = dict(body, ID=5, Type="SoftBounce", Email="fay@example.org")
    client.post(url, json=soft, headers={"Authorization": f"Basic {good}"})
    assert blocked(db.session, alice_org.id, "email", "fay@example.org") is None


def test_sendgrid_signed_event_webhook(client, alice_org):
    key = ec.generate_private_key(ec.SECP256R1())
    public = base64.b64encode(key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()  # fmt: skip
    save_hooks(alice_org.id, sendgrid_public_key=public)
    events = [
        {"email": "gus@example.org", "event": "bounce", "type": "bounce", "status": "5.1.1",
         "reason": "550 5.1.1 user unknown", "sg_event_id": "sg-1", "timestamp": 1795428000},
        {"email": "hal@example.org", "event": "bounce", "type": "blocked", "status": "4.0.0",
         "sg_event_id": "sg-2"},
        {"email": "ivy@example.org", "event": "spamreport", "sg_event_id": "sg-3"},
        {"email": "jo@example.org", "event": "delivered", "sg_event_id": "sg-4"},
    ]  # fmt: skip
    raw = json.dumps(events).encode()
    timestamp = str(int(time.time()))
    signature = base64.b64encode(
        key.sign(timestamp.encode() + raw, ec.ECDSA(hashes.SHA256()))
    ).decode()
    url = f"/webhooks/email/sendgrid/{alice_org.id}"
    headers = {"X-Twilio-Email-Event-Webhook-Signature": signature,
               "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
               "Content-Type": "application/json"}  # fmt: skip
    tampered = raw.replace(b"gus@", b"kim@")
    assert client.post(url, data=tampered, headers=headers).status_code == 401
    response = client.post(url, data=raw, headers=headers)
    assert response.status_code == 200 and response.get_json()["suppressed"] == 2
    assert blocked(db.session, alice_org.id, "email", "gus@example.org") == "hard_bounce"
    assert blocked(db.session, alice_org.id, "email", "hal@example.org") is None
    assert blocked(db.session, alice_org.id, "email", "ivy@example.org") == "complaint"


@pytest.fixture
def sns_cert_server(tmp_path, app):
    """An https server on 127.0.0.1 handing out the SNS signing certificate (and counting
    subscription confirmations), allowed in place of sns.<region>.amazonaws.com."""
    cert = make_cert(tmp_path)
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            body = (
                cert.cert_pem if self.path.endswith(".pem") else b"<ConfirmSubscriptionResponse/>"
            )
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert.cert_file), str(cert.key_file))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    app.config["SNS_CERT_HOST_PATTERN"] = r"^127\.0\.0\.1$"
    app.config["SNS_CERT_CAFILE"] = str(cert.cert_file)
    yield cert, f"https://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


TOPIC = "arn:aws:sns:eu-west-1:123456789012:ses-bounces"


def sns_message(cert, base: str, message: dict | None, *, kind="Notification", msg_id="sns-1"):
    body = {"Type": kind, "MessageId": msg_id, "TopicArn": TOPIC,
            "Message": json.dumps(message) if message else "You have chosen to subscribe",
            "Timestamp": "2026-11-23T10:00:00.000Z", "SignatureVersion": "1",
            "SigningCertURL": f"{base}/SimpleNotificationService-abc.pem"}  # fmt: skip
    keys = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
    if kind == "SubscriptionConfirmation":
        body |= {"Token": "tok", "SubscribeURL": f"{base}/?Action=ConfirmSubscription&Token=tok"}
        keys = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
    canonical = "".join(f"{k}\n{body[k]}\n" for k in keys if k in body)
    body["Signature"] = base64.b64encode(
        cert.key.sign(canonical.encode(), padding.PKCS1v15(), hashes.SHA1())
    ).decode()
    return body


def test_ses_through_sns_is_verified_with_the_certificate(client, alice_org, sns_cert_server):
    cert, base, hits = sns_cert_server
    save_hooks(alice_org.id, ses_topic_arn=TOPIC)
    url = f"/webhooks/email/ses/{alice_org.id}"
    bounce = {"notificationType": "Bounce", "bounce": {"bounceType": "Permanent",
              "bouncedRecipients": [{"emailAddress": "lee@example.org", "status": "5.1.1",
                                     "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]}}  # fmt: skip
    body = sns_message(cert, base, bounce)
    tampered = dict(body, Message=body["Message"].replace("lee@", "max@"))
    assert client.post(url, json=tampered).status_code == 401
    elsewhere = dict(body, SigningCertURL="https://evil.example/cert.pem")
    assert client.post(url, json=elsewhere).status_code == 401
    assert not any("evil" in h for h in hits)  # refused before anything was fetched
    assert client.post(url, json=body).status_code == 200
    assert blocked(db.session, alice_org.id, "email", "lee@example.org") == "hard_bounce"
    subscribe = sns_message(cert, base, None, kind="SubscriptionConfirmation", msg_id="sns-0")
    assert client.post(url, json=subscribe).status_code == 200
    assert any("ConfirmSubscription" in h for h in hits)
    complaint = {"notificationType": "Complaint", "complaint": {"complainedRecipients":
                 [{"emailAddress": "lee@example.org"}]}}  # fmt: skip
    assert (
        client.post(url, json=sns_message(cert, base, complaint, msg_id="sns-2")).status_code == 200
    )
    assert blocked(db.session, alice_org.id, "email", "lee@example.org") == "complaint"
