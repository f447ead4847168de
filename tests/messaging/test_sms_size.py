"""SMS segments as carriers count them: GSM-7 with its extension table, UCS-2 with surrogate
pairs, the concatenation limits, and the plain spelling that avoids UCS-2 (issue 14, item 9).
The GSM 03.38 codec (the `gsm0338` package) is the independent check of the alphabet."""

from __future__ import annotations

from decimal import Decimal

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.services.messaging import estimate_sms, measure_sms
from webapp.services.messaging.sms_size import GSM_BASIC, GSM_EXTENSION, plain


def test_the_cases_the_preview_got_wrong():
    zoe = "Hi Zoë! " + "x" * 119
    assert len(zoe) == 127
    assert (measure_sms(zoe).encoding, measure_sms(zoe).segments) == ("UCS-2", 2)
    party = "a" * 151 + "🎉"
    assert len(party) == 152 and measure_sms(party).segments == 3  # the emoji is 2 units
    curly = "It’s " + "a" * 136
    assert len(curly) == 141 and measure_sms(curly).segments == 3
    assert measure_sms(curly).forcing == ("’",)
    assert measure_sms(plain(curly)).segments == 1


def test_the_limits_of_one_message_and_of_a_segment():
    assert [measure_sms("a" * n).segments for n in (0, 1, 160, 161, 306, 307)] == [0, 1, 1, 2, 2, 3]
    assert [measure_sms("ж" * n).segments for n in (70, 71, 134, 135)] == [1, 2, 2, 3]
    # An extension character takes two septets …
    assert measure_sms("€" * 80).units == 160 and measure_sms("€" * 81).segments == 2
    # … and the pair is never split: 152 septets then "€" does not fit the first segment.
    split = measure_sms("a" * 152 + "€" + "a" * 10)
    assert (split.units, split.segments) == (164, 2)
    assert measure_sms("a" * 152 + "€" + "a" * 152).segments == 3
    # Nor is a surrogate pair: 66 units then an emoji starts the next segment.
    assert measure_sms("ж" * 66 + "🎉" + "ж" * 66).segments == 3


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(sorted(GSM_BASIC | GSM_EXTENSION) + ["ë", "’", "🎉"])))
def test_the_encoding_agrees_with_the_gsm_codec(text):
    size = measure_sms(text)
    try:
        septets = len(text.encode("gsm03.38"))
    except UnicodeEncodeError:
        assert size.encoding == "UCS-2"
        assert size.units == len(text.encode("utf-16-le")) // 2
    else:
        assert (size.encoding, size.units) == ("GSM-7", septets)


def test_the_estimate_offers_the_plain_spelling_only_when_it_is_cheaper():
    curly = "Hi {{firstName|there}}, it’s our “winter sale” at {{companyName}} — " + "a" * 80
    estimate = estimate_sms(curly, "Alice Bakes", Decimal("0.0083"))
    assert estimate.size.encoding == "UCS-2" and estimate.size.segments == 2
    assert estimate.plain_template == (
        'Hi {{firstName|there}}, it\'s our "winter sale" at {{companyName}} - ' + "a" * 80
    )
    assert estimate.plain_size.segments == 1
    assert estimate.cost == Decimal("0.0166")  # two segments, for one recipient
    assert estimate_sms("Grüße aus München", "Bäckerei", Decimal("0.0083")).plain_template is None
    assert estimate_sms("Hi there", "Shop", Decimal("0.0083")).plain_template is None


def test_the_editor_box_measures_what_is_typed(client, alice):
    from tests.conftest import csrf_token, login

    login(client, alice)
    token = csrf_token(client, "/automation")
    body = "It’s " + "a" * 136
    form = {"channel": "sms", "body": body, "csrf_token": token}
    sms = client.post("/automation/sms-size", data=form)
    assert sms.status_code == 200
    text = sms.get_data(as_text=True)
    assert "3 SMS segments" in text and "Unicode (UCS-2)" in text
    assert "Use plain quotes and spaces (1 segment)" in text
    email = client.post("/automation/sms-size", data={**form, "channel": "email"})
    assert "segment" not in email.get_data(as_text=True)
