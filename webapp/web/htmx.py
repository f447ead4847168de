"""All htmx plumbing in one place: partial detection, page-or-partial rendering, triggers,
redirects, and the unauthorised answer for htmx requests."""

from __future__ import annotations

import json

from flask import Response, make_response, redirect, render_template, request, url_for

from webapp.core.extensions import htmx


def is_partial() -> bool:
    """True for an htmx request that wants a fragment (boosted navigation wants a page)."""
    return bool(htmx) and not htmx.boosted


def page_or_partial(page: str, partial: str, **context) -> Response:
    """One URL, two answers: the full page, or the partial it includes for htmx.

    `Vary: HX-Request` keeps caches from serving one answer for the other.
    """
    template = partial if is_partial() else page
    response = make_response(render_template(template, **context))
    response.headers.add("Vary", "HX-Request")
    return response


def partial(template: str, status: int = 200, **context) -> Response:
    response = make_response(render_template(template, **context), status)
    response.headers.add("Vary", "HX-Request")
    return response


def trigger(response: Response, *events: str) -> Response:
    """Fire client events after the swap (e.g. `activity-changed`) so other widgets refresh."""
    existing = response.headers.get("HX-Trigger")
    names: dict = json.loads(existing) if existing and existing.startswith("{") else {}
    for event in events:
        names[event] = True
    response.headers["HX-Trigger"] = json.dumps(names)
    return response


def redirect_to(location: str) -> Response:
    """Navigate the whole page: `HX-Redirect` for htmx, a 303 otherwise."""
    if htmx:
        response = make_response("", 204)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, code=303)


def unauthorized() -> Response:
    """Signed-out htmx requests get `HX-Redirect` to the login page instead of a fragment."""
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    login = url_for("auth.login", next=target)
    if htmx:
        response = make_response("", 401)
        response.headers["HX-Redirect"] = login
        return response
    return redirect(login)
