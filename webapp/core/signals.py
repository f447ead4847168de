"""Named signals between areas (blinker): an area says what happened, others subscribe.

A service sends the signal where the thing happens; it does not know who listens. An area
that wants to react connects a module-level function once per app, when its blueprint is
registered (`bp.record_once`) or in `create_app`, with the app as sender:

    autopilot_activated.connect(provision_workspace, sender=state.app)

The app is the sender (as with Flask's own signals), so each app of a test run has its own
subscriptions, connecting twice is harmless, and no registration order matters: every
subscriber is connected before the first request or job sends anything. blinker keeps weak
references by default, hence module-level functions, never lambdas or closures.

Receivers run synchronously, in the sender's transaction, with its `session` in the
payload: they write through it and flush, never commit. Work that is slow or talks to a
provider is queued as a job instead of done in the receiver. Every payload is keywords
only; receivers take `**_` so that a new keyword breaks nobody.

Payloads (besides `session` and `now`):
- autopilot_activated: org_id, actor_id, replaced (a re-run of the wizard changed the plan).
  A failing receiver is rolled back alone and logged; the activation stays.
- lead_captured: org_id, lead_id, via (form, api, csv, manual, …), source, score, actor_id.
  Once per new lead, from the one capture path (`services/leads/capture.py`).
- contact_changed: org_id, lead_id, change ("merged", "status", "notes", "consent",
  "fields"), details (what changed: fields filled in, before/after, subscribed), actor_id.
- event_recorded: org_id, lead_id, event_id, name, properties, occurred_at, source ("api"
  or "product"), message_id. Once per NEW stored event, after its row is written, from
  the events area's one insert (`services/events/recording.py`); never for a repeat of a
  message id already stored.
- segment_entered / segment_exited: org_id, segment_id, lead_id. Once per real change of a
  contact's stored membership (`services/segments/membership.py`): a contact's change, an
  event, a tag, the hourly pass of time-relative segments or the nightly repair. Workflow
  triggers consume them.
- demo_created: org (the demo workspace, with its campaigns, results and reports in place).
"""

from __future__ import annotations

from typing import Any

from blinker import NamedSignal, Namespace
from flask import Flask, current_app, has_app_context

_signals = Namespace()

autopilot_activated = _signals.signal(
    "autopilot-activated", doc="A workspace's autopilot was switched on with a plan."
)
lead_captured = _signals.signal("lead-captured", doc="A new lead joined a workspace.")
contact_changed = _signals.signal(
    "contact-changed", doc="A lead's data, status or consent changed."
)
event_recorded = _signals.signal(
    "event-recorded", doc="A contact's event was stored (the events area)."
)
segment_entered = _signals.signal(
    "segment-entered", doc="A contact became a member of a segment (the segments area)."
)
segment_exited = _signals.signal(
    "segment-exited", doc="A contact stopped being a member of a segment (the segments area)."
)
demo_created = _signals.signal("demo-created", doc="`autopilot demo` filled the demo workspace.")


def sender() -> Flask | None:
    """The current app, which every signal is sent as; None outside an app context (only
    subscribers connected to every sender hear those)."""
    return current_app._get_current_object() if has_app_context() else None  # type: ignore[attr-defined]


def send(signal: NamedSignal, **payload: Any) -> None:
    """Send `signal` as the current app with a keyword payload; a receiver's error propagates."""
    signal.send(sender(), **payload)


__all__ = [
    "autopilot_activated",
    "contact_changed",
    "demo_created",
    "event_recorded",
    "lead_captured",
    "segment_entered",
    "segment_exited",
    "send",
    "sender",
]
