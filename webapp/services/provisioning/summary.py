"""What a setup run did, in the owner's words: done, skipped, failed, and what is left to do.

A run that skipped steps has finished, not completed: the page says which steps were
skipped and what the owner can do about each (one line per thing to do, not per step).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from webapp.models import ProvisioningRun, ProvisioningStep
from webapp.services.provisioning.steps import STEP_BY_KEY

TWILIO = (
    "Connect a Twilio account in Settings → Integrations to send real texts and WhatsApp "
    "messages (until then they wait in the outbox), then re-run setup."
)
TODO = {  # what is left to do after a skipped step
    "subaccount": TWILIO,
    "phone_number": TWILIO,
    "whatsapp": TWILIO,
    "email": (
        "Enter your mail server in Settings → Integrations so emails reach your contacts "
        "(until then they wait in the outbox), then re-run setup."
    ),
    "smoke_tests": "",  # only skipped because nothing else is connected: nothing of its own
}


@dataclass
class Summary:
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # not run yet (the run stopped before)
    todo: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.skipped and not self.failed

    def headline(self, run: ProvisioningRun) -> str:
        total = len(self.done) + len(self.skipped) + len(self.failed) + len(self.waiting)
        if run.status == "succeeded" and self.complete:
            return f"Setup complete: all {total} steps done"
        if run.status == "succeeded":
            return f"Setup finished: {len(self.done)} of {total} steps done, {len(self.skipped)} skipped"
        return ""


def summarize(steps: list[ProvisioningStep], *, retrying: bool = False) -> Summary:
    """The run's steps sorted by outcome, and the distinct things left to do (a failure
    that is retried by itself is nothing to do yet)."""
    summary = Summary()
    for step in steps:
        title = STEP_BY_KEY[step.key].title if step.key in STEP_BY_KEY else step.key
        if step.status == "done":
            summary.done.append(title)
        elif step.status == "skipped":
            summary.skipped.append(title)
            todo = TODO.get(step.key, "")
            if todo and todo not in summary.todo:
                summary.todo.append(todo)
        elif step.status == "failed":
            summary.failed.append(title)
            entry = f"{title}: {step.fix}" if step.fix and not retrying else ""
            if entry and entry not in summary.todo:
                summary.todo.append(entry)
        else:
            summary.waiting.append(title)
    return summary


def step_title(key: str | None) -> str:
    """A setup step as the owner reads it: "smoke_tests" → "Connection tests"."""
    if not key:
        return ""
    spec = STEP_BY_KEY.get(key)
    return spec.title if spec is not None else key.replace("_", " ")
