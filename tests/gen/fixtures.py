"""Pytest fixtures over the generators. Import them into a conftest:

    from tests.gen.fixtures import gen  # noqa: F401
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.gen.cache import FixtureCache


@pytest.fixture(scope="session")
def gen(tmp_path_factory: Any) -> FixtureCache:
    """The session's cache of generated files: `gen.build("fax", kind=..., seed=..., mode="normal")`."""
    return FixtureCache.for_session(tmp_path_factory)
