"""The audit tests share the access tests' installation fixtures."""

from tests.access.conftest import add_user, app, settings  # noqa: F401
