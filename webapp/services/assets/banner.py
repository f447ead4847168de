"""Banner PNGs drawn with Pillow and the bundled DejaVu Sans (webapp/static/fonts): a
headline, a sub-line and a call-to-action button in the brand's colours, the logo when
there is one. Text is wrapped, then made smaller until every line fits its box: it never
overflows and is never cut. An OpenAI picture, when given, becomes the background under a
dark veil that keeps the text readable."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

SIZES = {"1200x628": (1200, 628), "1080x1080": (1080, 1080), "1080x1920": (1080, 1920)}
FONTS = Path(__file__).resolve().parents[2] / "static" / "fonts"
MIN_SIZE = 14


@lru_cache(maxsize=256)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(
        str(FONTS / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), size
    )


def rgb(hex_colour: str) -> tuple[int, int, int]:
    value = (hex_colour or "#1d4ed8").lstrip("#")
    if len(value) != 6:
        value = "1d4ed8"
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def readable_on(background: tuple[int, int, int]) -> tuple[int, int, int]:
    """White or near-black, whichever contrasts more with `background` (WCAG luminance)."""

    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    lum = (
        0.2126 * channel(background[0])
        + 0.7152 * channel(background[1])
        + 0.0722 * channel(background[2])
    )
    return (17, 24, 39) if (lum + 0.05) / 0.05 > 1.05 / (lum + 0.05) else (255, 255, 255)


def wrap(text: str, face: ImageFont.FreeTypeFont, width: int) -> list[str] | None:
    """Greedy word wrap to `width` pixels; None when one word alone is wider."""
    lines: list[str] = []
    for word in text.split():
        if face.getlength(word) > width:
            return None
        if lines and face.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


@dataclass(frozen=True)
class Block:
    lines: list[str]
    face: ImageFont.FreeTypeFont
    line_height: int

    @property
    def height(self) -> int:
        return self.line_height * len(self.lines)


def fit(text: str, box: tuple[int, int], start: int, bold: bool, max_lines: int) -> Block:
    """The biggest size (from `start` down) at which `text` wraps into `box` in at most
    `max_lines` lines; below MIN_SIZE the line count may grow, the width never."""
    size = start
    while True:
        face = font(size, bold)
        lines = wrap(text, face, box[0])
        line_height = int(size * 1.22)
        if lines is not None and (
            (len(lines) <= max_lines and line_height * len(lines) <= box[1]) or size <= MIN_SIZE
        ):
            return Block(lines, face, line_height)
        if size <= MIN_SIZE and lines is None:  # one word wider than the box: break it
            return Block(_hard_wrap(text, face, box[0]), face, line_height)
        size = max(MIN_SIZE, int(size * 0.92))


def _hard_wrap(text: str, face: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines = [""]
    for ch in text:
        if face.getlength(lines[-1] + ch) > width:
            lines.append("")
        lines[-1] += ch
    return [line.strip() for line in lines if line.strip()]


def render(
    lines: dict,
    size: str,
    primary: str,
    accent: str,
    logo: bytes | None = None,
    background: bytes | None = None,
) -> bytes:
    """The banner as PNG bytes, exactly `size` (one of SIZES)."""
    width, height = SIZES[size]
    base, button = rgb(primary), rgb(accent)
    image = _canvas(width, height, base, background)
    ink = (255, 255, 255) if background else readable_on(base)
    draw = ImageDraw.Draw(image)
    pad = int(min(width, height) * 0.07)
    inner = width - 2 * pad
    top = pad + _draw_logo(image, logo, pad, int(height * 0.11)) if logo else pad
    if not logo:
        tag = fit(
            lines.get("business", ""), (inner, int(height * 0.08)), int(height * 0.045), True, 1
        )
        _text(draw, tag, pad, top, ink)
        top += tag.height + pad // 2
    cta_face = fit(
        lines.get("cta", ""), (int(inner * 0.8), int(height * 0.1)), int(height * 0.045), True, 1
    )
    cta_h = cta_face.height + int(cta_face.line_height * 0.9)
    space = height - top - pad - cta_h - pad // 2
    head = fit(
        lines.get("headline", ""),
        (inner, int(space * 0.62)),
        int(min(width, height) * 0.11),
        True,
        4,
    )
    sub = fit(
        lines.get("subline", ""),
        (inner, space - head.height - pad // 3),
        int(head.face.size * 0.48),
        False,
        4,
    )
    y = top + max(0, (space - head.height - sub.height - pad // 3) // 2)
    _text(draw, head, pad, y, ink)
    _text(draw, sub, pad, y + head.height + pad // 3, ink)
    _button(draw, cta_face, pad, height - pad - cta_h, button)
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=6)
    return out.getvalue()


def _canvas(width: int, height: int, base, background: bytes | None) -> Image.Image:
    if not background:
        return Image.new("RGB", (width, height), base)
    picture = Image.open(io.BytesIO(background)).convert("RGB")
    scale = max(width / picture.width, height / picture.height)
    picture = picture.resize(
        (round(picture.width * scale) or 1, round(picture.height * scale) or 1)
    )
    left, top = (picture.width - width) // 2, (picture.height - height) // 2
    picture = picture.crop((left, top, left + width, top + height))
    return Image.blend(picture, Image.new("RGB", (width, height), (0, 0, 0)), 0.45)


def _draw_logo(image: Image.Image, logo: bytes, pad: int, max_height: int) -> int:
    try:
        mark = Image.open(io.BytesIO(logo)).convert("RGBA")
    except (OSError, ValueError):
        return 0
    mark.thumbnail((image.width // 3, max_height))
    image.paste(mark, (pad, pad), mark)
    return mark.height + pad // 2


def _text(draw: ImageDraw.ImageDraw, block: Block, x: int, y: int, ink) -> None:
    for n, line in enumerate(block.lines):
        draw.text((x, y + n * block.line_height), line, font=block.face, fill=ink)


def _button(draw: ImageDraw.ImageDraw, block: Block, x: int, y: int, colour) -> None:
    text = block.lines[0] if block.lines else ""
    pad_x, pad_y = int(block.line_height * 0.8), int(block.line_height * 0.45)
    width = int(block.face.getlength(text)) + 2 * pad_x
    height = block.line_height + 2 * pad_y
    draw.rounded_rectangle((x, y, x + width, y + height), radius=height // 4, fill=colour)
    draw.text((x + pad_x, y + pad_y), text, font=block.face, fill=readable_on(colour))
