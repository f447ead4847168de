"""The landing-page editor: one flat form over the page's sections, and back."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length

BENEFITS, TESTIMONIALS, FAQS = 4, 3, 6
COUNTS = {"benefit": BENEFITS, "testimonial": TESTIMONIALS, "faq": FAQS}


def _text(label: str, limit: int, area: bool = False):
    cls = TextAreaField if area else StringField
    kw = {"render_kw": {"rows": 3}} if area else {}
    return cls(label, validators=[Length(max=limit)], **kw)


class PageForm(FlaskForm):
    title = _text("Page name (for you; also the browser tab)", 120)
    slug = _text("Address (the last part of the link)", 60)
    hero_headline = _text("Headline", 120)
    hero_subline = _text("Sub-line", 300, area=True)
    hero_cta = _text("Button text", 40)
    benefits_title = _text("Heading", 120)
    testimonials_title = _text("Heading", 120)
    faq_title = _text("Heading", 120)
    form_title = _text("Heading", 120)
    form_intro = _text("Short intro", 300, area=True)
    form_button = _text("Button text", 40)
    form_thanks = _text("Thank-you message", 300, area=True)


for _n in range(1, BENEFITS + 1):
    setattr(PageForm, f"benefit_{_n}_title", _text(f"Benefit {_n}: title", 120))
    setattr(PageForm, f"benefit_{_n}_text", _text(f"Benefit {_n}: text", 400, area=True))
for _n in range(1, TESTIMONIALS + 1):
    setattr(PageForm, f"testimonial_{_n}_quote", _text(f"Testimonial {_n}: quote", 500, area=True))
    setattr(PageForm, f"testimonial_{_n}_name", _text(f"Testimonial {_n}: who said it", 120))
for _n in range(1, FAQS + 1):
    setattr(PageForm, f"faq_{_n}_q", _text(f"Question {_n}", 200))
    setattr(PageForm, f"faq_{_n}_a", _text(f"Answer {_n}", 600, area=True))


class NewPageForm(FlaskForm):
    marketing_campaign_id = SelectField("For the campaign", choices=[], validate_choice=False)


def _items(form: PageForm, prefix: str, count: int, keys: tuple[str, ...]) -> list[dict]:
    return [
        {key: getattr(form, f"{prefix}_{n}_{key}").data or "" for key in keys}
        for n in range(1, count + 1)
    ]


def sections_from(form: PageForm) -> dict:
    return {
        "hero": {k: getattr(form, f"hero_{k}").data or "" for k in ("headline", "subline", "cta")},
        "benefits": {
            "title": form.benefits_title.data,
            "items": _items(form, "benefit", BENEFITS, ("title", "text")),
        },
        "testimonials": {
            "title": form.testimonials_title.data,
            "items": _items(form, "testimonial", TESTIMONIALS, ("quote", "name")),
        },
        "faq": {"title": form.faq_title.data, "items": _items(form, "faq", FAQS, ("q", "a"))},
        "form": {
            k: getattr(form, f"form_{k}").data or "" for k in ("title", "intro", "button", "thanks")
        },
    }


def fill_form(form: PageForm, title: str, slug: str, sections: dict) -> None:
    """Put a page's stored values into the form (a GET, or after re-drafting)."""
    form.title.data, form.slug.data = title, slug
    for key in ("headline", "subline", "cta"):
        getattr(form, f"hero_{key}").data = sections["hero"].get(key, "")
    for key in ("title", "intro", "button", "thanks"):
        getattr(form, f"form_{key}").data = sections["form"].get(key, "")
    for section, prefix, keys in (
        ("benefits", "benefit", ("title", "text")),
        ("testimonials", "testimonial", ("quote", "name")),
        ("faq", "faq", ("q", "a")),
    ):
        getattr(form, f"{section}_title").data = sections[section].get("title", "")
        items = sections[section].get("items") or []
        for n in range(1, 1 + COUNTS[prefix]):
            item = items[n - 1] if n <= len(items) else {}
            for key in keys:
                getattr(form, f"{prefix}_{n}_{key}").data = item.get(key, "")
