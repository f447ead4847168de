"""One activity item's HTML, kept per process.

A logged action never changes, so its line is rendered once per viewer zone, actor name and
workspace name (the parts that can), not on every dashboard load: the dashboard's eight
items took about half a millisecond to render, more than reading them.
"""

from __future__ import annotations

import threading

from flask import current_app
from markupsafe import Markup

from webapp.models import ActivityLog
from webapp.web.filters import viewer_zone

KEPT = 4096  # lines per worker (about 2 KB each); all dropped when full


def activity_item(row: ActivityLog, count: int | None = None, show_org: bool = False) -> Markup:
    """The `activity/_item.html` line of `row`; `count`: identical rows shown as this one."""
    actor = row.actor.name if row.actor is not None else None
    org = row.org.name if show_org else None
    key = (row.id, viewer_zone(), actor, org, count if count and count > 1 else None)
    kept, lock = current_app.extensions.setdefault("activity_items", ({}, threading.Lock()))
    html = kept.get(key)
    if html is None:
        template = current_app.jinja_env.get_template("activity/_item.html")
        html = Markup(template.render(row=row, count=key[-1], show_org=show_org))
        with lock:
            if len(kept) >= KEPT:
                kept.clear()
            kept[key] = html
    return html
