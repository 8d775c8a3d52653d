"""Fixtures of the Schemathesis runs."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["seed", "2026"])
def profile(request: pytest.FixtureRequest) -> str:
    """Both profiles must answer within the reference spec (the 2026 one)."""
    return str(request.param)
