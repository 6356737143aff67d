"""Audio tests that need the sink are marked ``sound`` (see tests/conftest.py)."""
