"""The VERP return path: a signed send id in the local part, a forged one ignored."""

from __future__ import annotations

from webapp.services.suppression import parse_verp, verp_token
from webapp.services.suppression.verp import return_path


def test_a_return_path_carries_the_send_and_reads_back(app):
    address = return_path("bounces@shop.example", 4321)
    assert address.startswith("bounces+4321.") and address.endswith("@shop.example")
    assert len(address.split("@")[0]) <= 64  # a local part's limit (RFC 5321)
    assert parse_verp(address) == 4321
    assert parse_verp(f"<{address}>") == 4321
    assert parse_verp(address.upper()) == 4321  # a server that changes the case of local parts


def test_a_forged_or_foreign_address_reads_as_none(app):
    token = verp_token(4321)
    forged = "bounces+4322." + token.split(".", 1)[1] + "@shop.example"
    assert parse_verp("bounces+4321.zz" + token.split(".", 1)[1][2:] + "@shop.example") is None
    assert parse_verp(forged) is None
    assert parse_verp("bounces+4321@shop.example") is None
    assert parse_verp("dana@example.org") is None
    assert parse_verp(None) is None
    other_secret = return_path("bounces@shop.example", 4321, secret="another deployment")
    assert parse_verp(other_secret) is None


def test_the_token_is_not_a_tracking_token(app):
    from webapp.services.messaging import read_token

    token = verp_token(77)
    assert read_token(app.config["SECRET_KEY"], "unsubscribe", token) is None
