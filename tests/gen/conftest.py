from tests.gen.fixtures import gen  # noqa: F401
