"""The main navigation's HTML, built once per process for each page section.

Every signed-in page shows the same fifteen links; only which one is the current page
changes with the page's blueprint. Rendering them through a Jinja macro (a `url_for` and a
condition a link) cost every page about a quarter of a millisecond, so the list is written
here once per (links, blueprint, script root) and kept.
"""

from __future__ import annotations

from functools import lru_cache

from flask import request, url_for
from markupsafe import Markup, escape

from webapp.web.context import nav_sections

# Pages that belong to a nav entry without sharing its blueprint.
CURRENT_ALSO = {
    "workspace.settings": ("integrations", "setup", "brand", "landing_pages"),
    "marketing.index": ("campaigns",),
}


def is_current(endpoint: str, blueprint: str | None) -> bool:
    return blueprint == endpoint.split(".")[0] or blueprint in CURRENT_ALSO.get(endpoint, ())


def main_nav(nav: list[tuple[str, str]]) -> Markup:
    """The `<ul class="mainnav">` of `nav` (in its groups, `context.nav_sections`) for this
    request's page."""
    return _built(tuple(nav), request.blueprint, request.script_root)


@lru_cache(maxsize=512)
def _built(nav: tuple, blueprint: str | None, _script_root: str) -> Markup:
    # `_script_root` is part of the key only: url_for reads it from the request.
    def link(endpoint: str, label: str) -> str:
        current = ' aria-current="page"' if is_current(endpoint, blueprint) else ""
        return f'<li><a href="{escape(url_for(endpoint))}"{current}>{escape(label)}</a></li>'

    parts = ['<ul class="mainnav">']
    for number, section in enumerate(nav_sections(list(nav)), start=1):
        links = "\n".join(link(endpoint, label) for endpoint, label in section["items"])
        if not section["name"]:
            parts.append(links)
            continue
        parts.append(
            f'<li class="nav-group">\n<span class="nav-group-label" id="nav-group-{number}">'
            f"{escape(section['name'])}</span>\n"
            f'<ul aria-labelledby="nav-group-{number}">\n{links}\n</ul>\n</li>'
        )
    parts.append("</ul>")
    return Markup("\n".join(parts))
