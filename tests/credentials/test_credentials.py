"""The key: resolution order, a real Secret Service, no keyring at all, redaction."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from app import credentials
from app.credentials import ApiKey, KeyLookup, KeyringUnavailable, RedactingFilter, find_key

SECRET = "sk_car_live_5ecret_abcdef123456"


@pytest.fixture
def real_keyring() -> Iterator[None]:
    yield
    credentials.delete_key()




def test_argument_beats_environment_beats_keyring() -> None:
    env = {"CARTESIA_API_KEY": "from-env-1234567"}
    assert find_key("from-arg-1234567", env, use_keyring=False).key == ApiKey(
        "from-arg-1234567", "argument")
    assert find_key(None, env, use_keyring=False).key == ApiKey("from-env-1234567",
                                                                "environment")
    assert find_key(None, {}, use_keyring=False) == KeyLookup(None)


@pytest.mark.keyring
def test_store_read_delete_in_the_secret_service(real_keyring: None) -> None:
    assert credentials.read_keyring() is None
    credentials.store_key(SECRET)
    assert credentials.read_keyring() == SECRET
    assert find_key(None, {}, files=[]) == KeyLookup(ApiKey(SECRET, "keyring"))
    assert credentials.delete_key() is True
    assert credentials.read_keyring() is None
    assert credentials.delete_key() is False


def test_no_keyring_falls_back_with_a_clear_message(no_keyring: None) -> None:
    found = find_key(None, {}, files=[])
    assert found.key is None
    assert found.keyring_problem == credentials.NO_KEYRING
    # A key given another way never asks the keyring, so there is nothing to report.
    assert find_key(None, {"CARTESIA_API_KEY": "env-key-123456"}) == KeyLookup(ApiKey(
        "env-key-123456", "environment"))
    with pytest.raises(KeyringUnavailable, match=r"^No keyring on this system"):
        credentials.store_key(SECRET)


def test_key_never_shown() -> None:
    key = ApiKey(SECRET, "keyring")
    assert SECRET not in repr(key)
    assert SECRET not in str(key)
    assert str(key) == "API key from the keyring (…3456)"


def test_logs_are_redacted() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter([SECRET]))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    try:
        logger.warning("request failed for key %s", SECRET)
        try:
            raise RuntimeError(f"bad header Bearer {SECRET}")
        except RuntimeError:
            logger.exception("boom")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert SECRET not in text
    assert text.count("[redacted]") == 2


def test_the_child_environment_never_holds_the_key() -> None:
    env = {"CARTESIA_API_KEY": SECRET, "HOME": "/home/x"}
    assert credentials.without_key(env) == {"HOME": "/home/x"}


def test_protect_logs_redacts_every_root_handler() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        credentials.protect_logs(ApiKey(SECRET, "environment"))
        credentials.protect_logs(ApiKey(SECRET, "environment"))  # once is enough
        assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
        logging.getLogger("test.protect").warning("header Bearer %s", SECRET)
    finally:
        root.removeHandler(handler)
    assert SECRET not in stream.getvalue() and "[redacted]" in stream.getvalue()
