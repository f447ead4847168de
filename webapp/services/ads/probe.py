""" "Test connection" for the ad platforms: the adapter's own checks (sign in, open the ad
account, read its campaigns), run by `services.connections.test_connection`, which times
the probe, records it on the (workspace, provider) health record and logs it."""

from __future__ import annotations

from collections.abc import Callable

from webapp.integrations.resilience import ErrorClass, IntegrationError, ProbeFailed
from webapp.services.ads.accounts import LABELS, adapter_for


def ads_probe(org_id: int, provider: str) -> Callable[[], str] | None:
    """The probe for the workspace's `provider` account, or None without credentials.

    The probe returns what worked, in words, or raises ProbeFailed naming the step that
    failed, what had worked before it and the fix. A failed first step (signing in) is a
    credentials problem; a later one is a setting (the account id, a permission)."""
    adapter = adapter_for(org_id, provider)
    if adapter is None:
        return None

    def probe() -> str:
        try:
            steps = adapter.check()
        except IntegrationError as exc:  # network trouble or a rate limit: the class says
            raise ProbeFailed(f"reaching {LABELS[provider]}", [], exc) from exc
        done: list[str] = []
        for what, ok, detail in steps:
            if not ok:
                kind = (
                    ErrorClass.CONFIGURATION_ERROR if done else ErrorClass.THIRD_PARTY_AUTH_FAILED
                )
                raise ProbeFailed(what, done, IntegrationError(detail, kind))
            done.append(f"{what} ({detail})" if detail else what)
        text = "; ".join(done) or "nothing to check"
        return f"{LABELS[provider]}: {text[:1].upper()}{text[1:]}."

    return probe
