"""The report's charts as PNG images for its email (mail clients run no scripts): a line
for the days of the period, bars for other dimensions, drawn with Pillow and the bundled
DejaVu Sans, the same series the page draws with Chart.js."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from webapp.services.assets import font

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 36, 48
INK, GRID, BAR, LINE = (31, 41, 55), (229, 231, 235), (147, 197, 253), (21, 128, 61)
MAX_BARS = 12


def _scale_top(peak: float) -> float:
    """A round number at or above the highest value, for the axis."""
    if peak <= 0:
        return 1.0
    step = 10 ** (len(str(int(peak))) - 1)
    return float(((int(peak) // step) + 1) * step)


def chart_png(title: str, labels: list[str], values: list[float | None], *, line: bool) -> bytes:
    """One chart as PNG bytes: `values` against `labels` (None drawn as 0)."""
    if not line:  # bars for the largest groups only (the table has them all)
        labels = labels[:MAX_BARS]
    values = [float(v or 0) for v in values[: len(labels)]]
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    draw.text((LEFT, 10), title, font=font(15, True), fill=INK)
    small = font(11)
    top = _scale_top(max(values, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    for i in range(5):  # horizontal grid with its values
        y = TOP + plot_h - plot_h * i / 4
        draw.line((LEFT, y, WIDTH - RIGHT, y), fill=GRID)
        draw.text((6, y - 7), f"{top * i / 4:,.0f}", font=small, fill=INK)
    if not values:
        draw.text((LEFT + 10, TOP + plot_h / 2), "No data for this period", font=small, fill=INK)
        return _png(image)
    slot = plot_w / len(values)
    points = []
    for i, value in enumerate(values):
        x = LEFT + slot * i + slot / 2
        y = TOP + plot_h - plot_h * value / top
        points.append((x, y))
        if not line:
            draw.rectangle((x - slot * 0.35, y, x + slot * 0.35, TOP + plot_h), fill=BAR)
    if line:
        if len(points) > 1:
            draw.line(points, fill=LINE, width=3)
        for x, y in points:
            draw.ellipse((x - 3, y - 3, x + 3, y + 3), fill=LINE)
    every = max(1, len(labels) // 8)  # at most ~8 axis labels, so they never overlap
    for i, label in enumerate(labels):
        if i % every == 0:
            text = label[5:] if line and len(label) == 10 else label[:14]
            draw.text((points[i][0] - 18, TOP + plot_h + 8), text, font=small, fill=INK)
    return _png(image)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
