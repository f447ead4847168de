"""Forms of the asset pages. The edit form is built per asset type from the chosen
variation; limits are not refused here (the page warns as you type and the service
returns what an edit breaks), only sizes no asset could need."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import FieldList, FormField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from webapp.services.assets.limits import EMAIL, GOOGLE, META, POST_LIMITS

TYPE_CHOICES = [
    ("email_sequence", "Email sequence"),
    ("social_post", "Social post"),
    ("ad_creative", "Ad"),
    ("video_script", "Video script"),
    ("voice_ad", "Voice ad"),
    ("image", "Banner image"),
]
OPTION_CHOICES = [
    ("", "Default for the type"),
    ("platform:linkedin", "Social: LinkedIn"),
    ("platform:x", "Social: X"),
    ("platform:facebook", "Social: Facebook"),
    ("platform:instagram", "Social: Instagram"),
    ("network:google", "Ad: Google search"),
    ("network:meta", "Ad: Meta (Facebook/Instagram)"),
    ("length:15", "Video/voice: 15 seconds"),
    ("length:30", "Video/voice: 30 seconds"),
    ("length:60", "Video/voice: 60 seconds"),
    ("size:1200x628", "Image: 1200×628 (link preview)"),
    ("size:1080x1080", "Image: 1080×1080 (square)"),
    ("size:1080x1920", "Image: 1080×1920 (story)"),
]
REQUIRED = DataRequired("Write something here.")


class NewAssetForm(FlaskForm):
    type = SelectField("Type", choices=TYPE_CHOICES)
    option = SelectField("Platform, network, length or size", choices=OPTION_CHOICES)
    campaign_id = SelectField("Campaign", coerce=int, choices=[(0, "No campaign")])
    name = StringField("Name (only you see it)", validators=[Optional(), Length(max=160)])


class EmailForm(FlaskForm):
    class Meta:
        csrf = False

    day = IntegerField("Day", validators=[NumberRange(0, 60, "Between 0 and 60.")])
    subject = StringField(
        "Subject",
        validators=[REQUIRED, Length(max=300)],
        render_kw={"data-limit": EMAIL["subject"]},
    )
    preheader = StringField(
        "Preheader",
        validators=[Optional(), Length(max=300)],
        render_kw={"data-limit": EMAIL["preheader"]},
    )
    body = TextAreaField("Body", validators=[REQUIRED, Length(max=20000)], render_kw={"rows": 9})


class SceneForm(FlaskForm):
    class Meta:
        csrf = False

    visual = StringField("Shot", validators=[REQUIRED, Length(max=300)])
    on_screen = StringField(
        "On screen", validators=[REQUIRED, Length(max=120)], render_kw={"data-limit": 32}
    )
    voice_over = TextAreaField(
        "Voice-over", validators=[REQUIRED, Length(max=1000)], render_kw={"rows": 2}
    )


def _social(options: dict) -> dict:
    platform = options.get("platform", "linkedin")
    count = "x" if platform == "x" else "chars"
    return {
        "text": TextAreaField(
            "Post",
            validators=[REQUIRED, Length(max=70000)],
            render_kw={"rows": 10, "data-limit": POST_LIMITS[platform], "data-count": count},
        ),
        "hashtags": StringField(
            "Hashtags (space-separated)", validators=[Optional(), Length(max=1000)]
        ),
    }


def _meta(_options: dict) -> dict:
    labels = {"primary_text": "Primary text", "headline": "Headline", "description": "Description"}
    return {
        name: TextAreaField(
            label,
            validators=[REQUIRED, Length(max=2200)],
            render_kw={"rows": 3 if name == "primary_text" else 1, "data-limit": META[name]},
        )
        for name, label in labels.items()
    }


def _lines(label: str, limit: int, most: int, rows: int) -> TextAreaField:
    return TextAreaField(
        label,
        validators=[REQUIRED, Length(max=5000)],
        render_kw={
            "rows": rows,
            "data-limit": limit,
            "data-count": "lines",
            "data-max-lines": most,
        },
    )


def _google(_options: dict) -> dict:
    path = {
        "validators": [Optional(), Length(max=100)],
        "render_kw": {"data-limit": GOOGLE["path"]},
    }
    return {
        "headlines": _lines("Headlines (one a line)", GOOGLE["headline"], GOOGLE["headlines"], 15),
        "descriptions": _lines(
            "Descriptions (one a line)", GOOGLE["description"], GOOGLE["descriptions"], 4
        ),
        "path1": StringField("Path 1", **path),
        "path2": StringField("Path 2", **path),
    }


def _banner(_options: dict) -> dict:
    def line(label: str, limit: int, required: bool = True) -> StringField:
        check = REQUIRED if required else Optional()
        return StringField(
            label, validators=[check, Length(max=300)], render_kw={"data-limit": limit}
        )

    return {
        "headline": line("Headline", 60),
        "subline": line("Sub-line", 120, required=False),
        "cta": line("Button", 24),
    }


FIELDS = {
    "email_sequence": lambda _o: {
        "emails": FieldList(FormField(EmailForm), min_entries=1, max_entries=6)
    },
    "social_post": _social,
    "video_script": lambda _o: {
        "scenes": FieldList(FormField(SceneForm), min_entries=1, max_entries=8)
    },
    "voice_ad": lambda _o: {
        "script": TextAreaField(
            "Script", validators=[REQUIRED, Length(max=3000)], render_kw={"rows": 8}
        )
    },
    "image": _banner,
}


def edit_form_class(asset_type: str, options: dict) -> type[FlaskForm]:
    """The edit form of one asset type (and platform/network)."""
    if asset_type == "ad_creative":
        fields = (_meta if options.get("network") == "meta" else _google)(options)
    else:
        fields = FIELDS[asset_type](options)
    return type(f"Edit_{asset_type}", (FlaskForm,), fields)


def form_data(asset_type: str, content: dict) -> dict:
    """The chosen variation as the edit form's data."""
    if asset_type == "social_post":
        return {
            "text": content.get("text", ""),
            "hashtags": " ".join(content.get("hashtags") or []),
        }
    if asset_type == "ad_creative" and content.get("network") == "google":
        return {
            **content,
            "headlines": "\n".join(content.get("headlines") or []),
            "descriptions": "\n".join(content.get("descriptions") or []),
        }
    return dict(content)


def content_of(asset_type: str, form: FlaskForm, previous: dict) -> dict:
    """The edit form's data as a variation's content (keeping what the form does not show)."""
    data = {k: v for k, v in form.data.items() if k != "csrf_token"}
    if asset_type == "social_post":
        return {
            "text": data["text"].replace("\r\n", "\n").strip(),
            "hashtags": data["hashtags"].split(),
        }
    if asset_type == "ad_creative" and previous.get("network") == "google":
        lines = {
            k: [x.strip() for x in data[k].splitlines() if x.strip()]
            for k in ("headlines", "descriptions")
        }
        return {**lines, "path1": data["path1"].strip(), "path2": data["path2"].strip()}
    if asset_type == "video_script":
        scenes = previous.get("scenes") or []
        return {
            "scenes": [{**old, **new} for old, new in zip(scenes, data["scenes"], strict=False)]
        }
    if asset_type == "email_sequence":
        return {
            "emails": [
                {**e, "body": e["body"].replace("\r\n", "\n").strip()} for e in data["emails"]
            ]
        }
    return {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
