"""The request's workspace and role, and the decorators views use to require them."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, wraps
from typing import TypeVar

from flask import abort, g, session
from flask_login import current_user, login_required
from sqlalchemy import select

from webapp.core.errors import NotFound
from webapp.core.extensions import db
from webapp.core.tenancy import get_scoped
from webapp.models import Membership, Organization

T = TypeVar("T")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def load_membership() -> Membership | None:
    """The signed-in user's membership of the chosen workspace (or their first one), looked
    up once a request (a list asks once a row, and the check behind `current_user` costs
    more than the rest of formatting a time)."""
    if "membership" in g:  # set below, only ever for a signed-in user
        return g.membership
    if not current_user.is_authenticated:
        return None
    memberships = {m.org_id: m for m in current_user.memberships}
    chosen = memberships.get(session.get("org_id")) or (
        min(memberships.values(), key=lambda m: m.id) if memberships else None
    )
    if chosen is not None and session.get("org_id") != chosen.org_id:
        session["org_id"] = chosen.org_id  # written only on a change: no new cookie each request
    g.membership = chosen
    return chosen


def org_required(view: Callable) -> Callable:
    """Signed in and a member of a workspace; sets `g.org` and `g.membership`."""

    @login_required
    @wraps(view)
    def wrapper(*args, **kwargs):
        membership = load_membership()
        if membership is None:
            abort(403, "You are not a member of any workspace.")
        g.org = membership.org
        return view(*args, **kwargs)

    return wrapper


def owner_required(view: Callable) -> Callable:
    @org_required
    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.membership.role != "owner":
            abort(403, "Only an owner of the workspace can do this.")
        return view(*args, **kwargs)

    return wrapper


def load(model: type[T], object_id: int) -> T:
    """The current workspace's object with this id, or 404 (DESIGN invariant 1)."""
    try:
        return get_scoped(db.session, model, object_id, g.org.id)
    except NotFound:
        abort(404)


def visible_org_ids() -> list[int] | None:
    """The workspaces whose logs the user may read: all (None) for support, else the current one."""
    if current_user.is_support:
        return None
    return [g.org.id]


def all_workspaces() -> list[Organization]:
    return list(db.session.scalars(select(Organization).order_by(Organization.name)))


# Support reads every workspace and changes nothing: its navigation is the pages that
# show all workspaces, not the owner pages of its own empty "Support" workspace.
SUPPORT_NAV = [
    ("health.support", "All workspaces"),
    ("activity.index", "Activity"),
    ("scheduler.index", "Scheduler"),
]


# The nav list (NAV in webapp/web/__init__.py) stays flat data; the layout only shows it in
# groups. An item this map does not know stands on its own, where the list puts it.
NAV_GROUPS = {
    "leads.index": "Contacts",
    "segments.index": "Contacts",
    "marketing.index": "Marketing",
    "broadcasts.index": "Marketing",
    "automation.index": "Marketing",
    "workflows.index": "Marketing",
    "coach.index": "Marketing",
    "reports.index": "Insights",
    "activity.index": "Insights",
    "health.page": "Insights",
}


@cache
def _sections(nav: tuple[tuple[str, str], ...]) -> tuple[dict, ...]:
    sections: list[dict] = []
    by_name: dict[str, dict] = {}
    for endpoint, label in nav:
        group = NAV_GROUPS.get(endpoint)
        if group in by_name:
            by_name[group]["items"].append((endpoint, label))
            continue
        section = {"name": group, "items": [(endpoint, label)]}
        sections.append(section)
        if group:
            by_name[group] = section
    return tuple(sections)


def nav_sections(nav: list[tuple[str, str]]) -> tuple[dict, ...]:
    """The navigation in its groups, in the list's order; arranged once per process."""
    return _sections(tuple(nav))


def nav_for(nav: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The main navigation for the signed-in user: `nav`, or support's own."""
    if current_user.is_authenticated and current_user.is_support:
        return SUPPORT_NAV
    return nav
