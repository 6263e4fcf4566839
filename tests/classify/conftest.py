"""The classifier fixtures (trained, cls_settings, cls_app) live in tests/conftest.py,
so one training serves the classification and chart tests."""
