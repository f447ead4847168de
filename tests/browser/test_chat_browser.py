"""The chat widget in a real browser on a plain page of another site (another local port):
a visitor opens it with the keyboard, asks about opening hours (answered), asks something
out of scope (a hand-over is offered), leaves an email (a lead with source "chat" that the
owner then finds in the chat inbox). Nothing is fetched from anyone but the two servers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.conftest import release_db, shot, sign_in
from tests.chat.helpers import HOURS, chat_on
from webapp.core.clock import system_now
from webapp.core.extensions import db
from webapp.models import Lead, Organization, User


@pytest.fixture
def shop_site(live_server: str, alice_org: Organization) -> Iterator[str]:
    """The owner's own website: a plain HTML page with the widget's script tag, served on a
    port of its own (so the widget runs cross-origin, as on a real site)."""
    settings = chat_on(alice_org.id, system_now())
    tag = f'<script src="{live_server}/static/chat/widget.js" data-chat="{settings.widget_key}" async></script>'
    html = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Alice Bakes</title></head><body><h1>Alice Bakes</h1>"
        "<p>Fresh bread every morning.</p>" + tag + "</body></html>"
    ).encode()

    class Shop(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Shop)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def ask(page: Page, text: str) -> None:
    box = page.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")


def test_a_visitor_chats_on_the_owners_site_and_becomes_a_lead(
    live_server: str, shop_site: str, page: Page, alice: User
) -> None:
    email = alice.email
    origins = set()
    page.on("request", lambda r: origins.add("{0.scheme}://{0.netloc}".format(urlsplit(r.url))))
    release_db()
    page.goto(shop_site)
    launcher = page.get_by_role("button", name="Chat with us")
    expect(launcher).to_be_visible()
    launcher.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="Chat with us")).to_be_visible()
    expect(page.get_by_label("Your message")).to_be_focused()

    ask(page, "What are your opening hours?")
    log = page.get_by_role("log", name="Conversation")
    expect(log).to_contain_text(HOURS)
    expect(log).to_have_attribute("aria-live", "polite")
    shot(page, "chat-widget-1280")

    ask(page, "can you tell me a joke")
    expect(log).to_contain_text('say "person"')

    ask(page, "my email is vic@example.com")
    expect(log).to_contain_text("will get back to you")
    cookies = page.context.cookies(shop_site)
    assert [c["name"] for c in cookies] == [f"ma_chat_{cookies[0]['name'][8:]}"]
    assert cookies[0]["name"].startswith("ma_chat_")
    assert origins <= {shop_site, live_server}
    page.set_viewport_size({"width": 390, "height": 800})
    shot(page, "chat-widget-390")

    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(launcher).to_be_focused()

    lead = db.session.scalars(select(Lead).where(Lead.email == "vic@example.com")).one()
    assert lead.source == "chat"
    release_db()
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server, email)
    page.goto(f"{live_server}/chat/")
    row = page.locator("#inbox-table tr", has_text="vic@example.com")
    expect(row).to_be_visible()
    shot(page, "chat-inbox-1280")
    row.get_by_role("link").click()
    expect(page.get_by_role("log", name="Messages, oldest first")).to_contain_text(
        "vic@example.com"
    )
    expect(page.get_by_text("understood opening_hours")).to_be_visible()
    shot(page, "chat-conversation-1280")
    page.set_viewport_size({"width": 390, "height": 800})
    shot(page, "chat-conversation-390")
    page.goto(f"{live_server}/chat/")
    shot(page, "chat-inbox-390")
    page.goto(f"{live_server}/chat/intents")
    expect(page.get_by_role("link", name="opening_hours")).to_be_visible()
    shot(page, "chat-intents-390")
    page.set_viewport_size({"width": 1280, "height": 800})
    shot(page, "chat-intents-1280")
    page.goto(f"{live_server}/chat/settings")
    shot(page, "chat-settings-1280")
    page.set_viewport_size({"width": 390, "height": 800})
    shot(page, "chat-settings-390")
