"""The options that say where to connect, accepted before or after the command: shared by
the full parser (:mod:`app.cli.commands`) and the window's own (:mod:`app.cli.window`)."""

from __future__ import annotations

import argparse

from app.cartesia.config import DEFAULT_BASE_URL
from app.cartesia.messages import DEFAULT_API_VERSION
from app.credentials import ENV_VAR

GLOBAL_OPTIONS = ("api_key", "base_url", "api_version", "offline")


def add_global_options(parser: argparse.ArgumentParser, *, after_command: bool) -> None:
    # After the command the defaults are SUPPRESS: an option not repeated there
    # must not overwrite the value given before it (argparse's subparser trap).
    default: object = argparse.SUPPRESS if after_command else None
    flag_default: object = argparse.SUPPRESS if after_command else False
    group = parser.add_argument_group("where to connect (before or after the command)")
    group.add_argument("--api-key", default=default,
                       help=f"Cartesia API key (else ${ENV_VAR}, else the keyring)")
    group.add_argument("--base-url", default=default,
                       help="API base URL (else $CARTESIA_BASE_URL, else "
                       f"{DEFAULT_BASE_URL}); the WebSocket URL is derived from it")
    group.add_argument("--api-version", default=default,
                       help=f"Cartesia-Version to send (default {DEFAULT_API_VERSION})")
    group.add_argument("--offline", action="store_true", default=flag_default,
                       help="use the built-in offline engine even if a key is set")
    group.add_argument("-v", "--verbose", action="store_true", default=flag_default,
                       help="log more")
