"""Each test starts with no classifier in this process's memory (the database is new too)."""

from __future__ import annotations

import pytest

from webapp.services.chat import classifier


@pytest.fixture(autouse=True)
def no_cached_models() -> None:
    with classifier._LOCK:
        classifier._CACHE.clear()
