"""axe-core in the browser tests: `assert_axe_clean(page)` runs axe (the copy shipped with
axe-playwright-python, injected into the page: no network) and fails with each violation."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

_AXE = Axe()


def axe_violations(page: Page) -> list[str]:
    results = _AXE.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["target"][0] for n in v["nodes"])
        for v in results.response["violations"]
    ]


def assert_axe_clean(page: Page) -> None:
    problems = axe_violations(page)
    assert problems == [], "axe found:\n" + "\n".join(problems)
