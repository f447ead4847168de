"""Settings → Brand: colours validated with a contrast warning, the logo checked by its
bytes and re-encoded, the public slug, the language, and who may change them."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from tests.conftest import csrf_token, login
from tests.landing_pages.helpers import jpeg, png
from webapp.core.extensions import db
from webapp.models import BrandProfile, Organization
from webapp.services.marketing import contrast_ratio, png_size
from webapp.services.marketing.brand import text_on

GOOD = {
    "primary_color": "#1d4ed8",
    "accent_color": "#f59e0b",
    "language": "en",
    "public_slug": "alice-bakes",
    "website": "https://alicebakes.example",
    "phone": "+44 113 496 0000",
    "postal_address": "1 Oven Lane\nLeeds LS1 1AA",
}


def _post(client, **changes):
    data = {**GOOD, **changes, "csrf_token": csrf_token(client, "/settings/brand")}
    return client.post("/settings/brand", data=data, content_type="multipart/form-data")


def _brand(org: Organization) -> BrandProfile | None:
    db.session.expire_all()
    return db.session.scalars(
        select(BrandProfile).where(BrandProfile.org_id == org.id)
    ).one_or_none()


def test_the_contrast_ratio_is_wcags():
    assert round(contrast_ratio("#ffffff", "#000000"), 1) == 21.0
    assert round(contrast_ratio("#ffffff", "#1d4ed8"), 2) == 6.7
    assert text_on("#1d4ed8") == "#ffffff"
    assert text_on("#ffe066") == "#111827"  # white on yellow fails AA, ink passes


def test_it_saves_the_brand_and_the_settings_nav_links_it(client, alice, alice_org):
    login(client, alice)
    page = client.get("/settings").get_data(as_text=True)
    assert 'href="/settings/brand"' in page
    form = client.get("/settings/brand").get_data(as_text=True)
    assert 'value="alice-bakes"' in form  # the suggested public slug, from the name
    answer = _post(client, primary_color="#0F766E", language="de")
    assert answer.status_code == 302
    brand = _brand(alice_org)
    assert (brand.primary_color, brand.language, brand.phone) == (
        "#0f766e",
        "de",
        "+44 113 496 0000",
    )
    assert brand.postal_address == "1 Oven Lane\nLeeds LS1 1AA"
    assert db.session.get(Organization, alice_org.id).public_slug == "alice-bakes"


def test_bad_values_are_field_errors_and_nothing_is_saved(client, alice, alice_org):
    login(client, alice)
    answer = _post(
        client,
        primary_color="red",
        accent_color="#12345",
        website="alicebakes",
        phone="call me",
        public_slug="No Spaces!",
    )
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert html.count("Use a colour like #1d4ed8") == 2
    assert 'aria-describedby="primary_color-error"' in html
    assert "Use a full address like https://example.com." in html
    assert "Use digits, spaces and + ( ) - only" in html
    assert "Use 3 to 60 lower-case letters" in html
    assert _brand(alice_org) is None


def test_a_light_primary_colour_warns_about_contrast(client, alice):
    login(client, alice)
    answer = _post(
        client, primary_color="#ffe066", phone="call me"
    )  # kept on the page by the error
    html = answer.get_data(as_text=True)
    assert "White text on #ffe066 has a contrast of 1.3:1" in html
    dark = _post(client, primary_color="#1d4ed8", phone="call me").get_data(as_text=True)
    assert "contrast-warning" not in dark


def test_the_logo_is_checked_by_its_bytes_and_stored_as_a_small_png(client, alice, alice_org):
    login(client, alice)
    fake = _post(client, logo=(io.BytesIO(b"GIF89a not a png"), "logo.png"))
    assert fake.status_code == 422 and "Upload a PNG or JPEG image." in fake.get_data(as_text=True)
    broken = _post(client, logo=(io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * 200), "logo.png"))
    assert "could not be read" in broken.get_data(as_text=True)
    big = _post(client, logo=(io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * (512 * 1024)), "big.png"))
    assert "upload one of at most 512 KB" in big.get_data(as_text=True)
    assert _brand(alice_org) is None

    assert _post(client, logo=(io.BytesIO(png(1200, 300)), "wide.png")).status_code == 302
    brand = _brand(alice_org)
    assert brand.logo_mime == "image/png" and png_size(brand.logo) == (600, 150)
    assert _post(client, logo=(io.BytesIO(jpeg(200, 100)), "logo.jpg")).status_code == 302
    brand = _brand(alice_org)
    with Image.open(io.BytesIO(brand.logo)) as stored:
        assert (stored.format, stored.size) == ("PNG", (200, 100))
    shown = client.get("/settings/brand").get_data(as_text=True)
    assert 'width="200" height="100"' in shown
    assert client.get("/settings/brand/logo.png").mimetype == "image/png"
    assert _post(client, remove_logo="y").status_code == 302
    assert _brand(alice_org).logo is None


def test_a_public_slug_of_another_workspace_is_refused(client, alice, charlie):
    from tests.conftest import org_of

    charlie_org = org_of(charlie)
    charlie_org.public_slug = "charlie-cuts"
    db.session.commit()
    login(client, alice)
    answer = _post(client, public_slug="charlie-cuts")
    assert answer.status_code == 422
    assert "Another workspace uses this address" in answer.get_data(as_text=True)
    assert "Use 3 to 60" in _post(client, public_slug="p").get_data(as_text=True)


def test_staff_see_the_brand_but_cannot_change_it(client, bob, alice_org):
    login(client, bob)
    html = client.get("/settings/brand").get_data(as_text=True)
    assert "Only an owner can change these." in html
    assert _post(client).status_code == 403
    assert _brand(alice_org) is None
