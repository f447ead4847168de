"""Workflows: a trigger and steps (wait, send, condition, wait for an event, update,
outbound webhook, exit) as immutable versions; executions run step by step on the work
engine (`workflows.step`), started by events, segment changes, schedules, inbound webhooks
or by hand; templates to start from.

Other areas use only the names exported here (tests/test_layers.py checks it). They
are loaded on first use, so two areas that use each other never import each other's
modules while their packages are being imported."""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "DefinitionInvalid": "definition",
    "KIND": "engine",
    "TEMPLATES": "templates",
    "WorkflowError": "manage",
    "Row": "reads",
    "connect": "starting",
    "current_definition": "reads",
    "get_workflow": "reads",
    "list_workflows": "reads",
    "receive_hook": "reads",
    "run_for_contact": "reads",
    "runs_of": "reads",
    "signature": "reads",
    "step_log": "reads",
    "control_execution": "manage",
    "create_from_template": "templates",
    "create_workflow": "manage",
    "fire_schedules": "schedules",
    "get_execution": "manage",
    "parse": "definition",
    "run_due_steps": "schedules",
    "save_definition": "manage",
    "set_status": "manage",
    "start_run": "starting",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
