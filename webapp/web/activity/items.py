"""The activity feed's lines as HTML, each kept per process.

A logged action never changes, so its line is rendered once per viewer zone, actor name and
workspace name (the parts that can), not on every dashboard load: the dashboard's eight
items took about half a millisecond to render, more than reading them. The pages read plain
lines (`Line`: id, names, what collapsing compares); a line's full row is read, in one
statement for the page, only when its HTML is not kept.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from flask import current_app
from markupsafe import Markup

from webapp.core.extensions import db
from webapp.services.activity.log import Entry, Line, rows_by_id
from webapp.web.filters import viewer_zone

KEPT = 4096  # lines per worker (about 2 KB each); all dropped when full


def activity_lines(entries: Iterable[Line | Entry], show_org: bool = False) -> Markup:
    """The `activity/_item.html` lines of `entries`: Lines, or Entries (a line standing
    for `count` identical ones in a row)."""
    zone = viewer_zone()
    keys = []
    for entry in entries:
        line, count = (entry.row, entry.count) if isinstance(entry, Entry) else (entry, 1)
        org = line.org_name if show_org else None
        keys.append((line.id, zone, line.actor_name, org, count if count > 1 else None))
    kept, lock = current_app.extensions.setdefault("activity_items", ({}, threading.Lock()))
    found = {key: kept[key] for key in keys if key in kept}
    missing = [key for key in keys if key not in found]
    if missing:
        rows = rows_by_id(db.session, [key[0] for key in missing])
        template = current_app.jinja_env.get_template("activity/_item.html")
        rendered = {
            key: Markup(template.render(row=rows[key[0]], count=key[-1], show_org=show_org))
            for key in missing
            if key[0] in rows  # else gone since the page's read (its workspace was deleted)
        }
        found.update(rendered)
        with lock:
            if len(kept) + len(rendered) > KEPT:
                kept.clear()
            kept.update(rendered)
    return Markup("").join(found.get(key, "") for key in keys)
