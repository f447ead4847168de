"""Message templates: safe substitution with fallbacks; nothing is ever executed."""

from __future__ import annotations

from types import SimpleNamespace

from webapp.services.messaging.templating import (
    links_in,
    placeholders,
    render,
    render_step,
    text_to_html,
    unknown_placeholders,
    variables_for,
)

ANA = SimpleNamespace(
    full_name="Ana María Lopez", email="ana@example.com", phone="+447911123456", company="Lopez Ltd"
)
NAMELESS = SimpleNamespace(full_name="", email="x@example.com", phone=None, company="")
SHOP = SimpleNamespace(name="Alice Bakes")


def test_it_substitutes_the_contact_and_workspace_variables():
    values = variables_for(ANA, SHOP)
    assert render("Hi {{firstName}} ({{customerName}}) from {{companyName}}", values) == (
        "Hi Ana (Ana María Lopez) from Alice Bakes"
    )
    assert render("{{lastName}} · {{contactCompany}} · {{email}} · {{phone}}", values) == (
        "María Lopez · Lopez Ltd · ana@example.com · +447911123456"
    )


def test_it_uses_the_fallback_when_the_value_is_empty():
    values = variables_for(NAMELESS, SHOP)
    assert render("Hi {{firstName|there}}!", values) == "Hi there!"
    assert render("Hi {{ firstName | dear friend }}!", values) == "Hi dear friend!"
    assert render("Hi {{firstName|there}}!", variables_for(ANA, SHOP)) == "Hi Ana!"


def test_it_renders_unknown_variables_empty_or_their_fallback():
    assert render("a{{nope}}b", {}) == "ab"
    assert render("a{{nope|x}}b", {}) == "axb"
    assert unknown_placeholders("{{firstName}} {{nope}} {{nope}}") == ["nope"]
    assert placeholders("{{firstName}} {{companyName}} {{firstName}}") == [
        "firstName",
        "companyName",
    ]


def test_it_never_executes_anything():
    values = {"firstName": "{{companyName}}", "companyName": "SECRET"}
    # A value that looks like a placeholder stays text; expressions and attribute access are not syntax.
    assert render("{{firstName}}", values) == "{{companyName}}"
    assert render("{{ 7*7 }} {{ config.SECRET_KEY }} {% if 1 %}x{% endif %}", values) == (
        "{{ 7*7 }}  {% if 1 %}x{% endif %}"
    )
    assert render("{{__class__}}{{firstName.__class__}}", values) == ""


def test_it_escapes_the_html_part_and_links_addresses():
    lead = SimpleNamespace(
        full_name="<script>alert(1)</script>", email="e@example.com", phone=None, company=""
    )
    step = SimpleNamespace(
        channel="email",
        subject="Hi {{firstName}}\nBcc: x@evil.example",
        body="Hello {{customerName}}\n\nSee https://example.com/a?b=1&c=2.",
    )
    message = render_step(step, lead, SHOP)
    assert "<script>" not in message.html
    assert "&lt;script&gt;" in message.html
    assert '<a href="https://example.com/a?b=1&amp;c=2">' in message.html
    assert "\n" not in message.subject  # no header injection through a template
    assert links_in(message.text) == ["https://example.com/a?b=1&c=2"]


def test_it_renders_sms_without_html_or_subject():
    step = SimpleNamespace(
        channel="sms", subject="ignored", body="Hi {{firstName|there}}, welcome to {{companyName}}"
    )
    message = render_step(step, NAMELESS, SHOP)
    assert (message.subject, message.text, message.html) == (
        "",
        "Hi there, welcome to Alice Bakes",
        None,
    )


def test_it_keeps_paragraphs_and_line_breaks():
    assert text_to_html("a\nb\n\nc") == "<p>a<br>\nb</p>\n<p>c</p>"
