"""The window's start, without the command line's other commands: ``voicebooth`` with no
command parses its options with a parser of the connection options alone, so that the
full parser (every command's arguments, and the modules they name) is neither imported
nor built before the window's first paint. Anything else (a command, ``--help``,
``--self-test``, an option it does not know or a bad value) goes to the full parser,
which answers exactly as it always did."""

from __future__ import annotations

import argparse
import gc
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from app.errors import VoiceboothError
from app.studio.options import RunOptions

from .global_args import add_global_options

EXIT_USAGE = 2


class NotTheWindowAlone(Exception):
    """The arguments are not the window's alone: the full parser decides."""


class WindowParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise NotTheWindowAlone(message)


def window_arguments(argv: Sequence[str] | None) -> argparse.Namespace | None:
    """The parsed options when ``argv`` opens the window with connection options only
    (the full parser would give the same namespace), else ``None``."""
    parser = WindowParser(prog="voicebooth", add_help=False)
    add_global_options(parser, after_command=False)
    parser.add_argument("--self-test", action="store_true")
    try:
        args, rest = parser.parse_known_args(argv)
    except NotTheWindowAlone:
        return None
    if rest or args.self_test:
        return None
    args.command = None
    return args


def run_options(args: argparse.Namespace) -> RunOptions:
    return RunOptions(offline=bool(args.offline), api_key=args.api_key,
                      base_url=args.base_url, api_version=args.api_version)


def open_window(args: argparse.Namespace, options: RunOptions, stderr: TextIO) -> int:
    """The window. Its offline engine starts first, before Qt is imported: the two
    processes then load side by side, and the window's voices play sooner."""
    script = Path(args.script) if args.command == "open" else None
    if script is not None and not script.is_file():
        print(f"voicebooth: error: {script}: no such file (give a .voicebooth project, "
              "or lines in .csv or .jsonl)", file=stderr)
        return EXIT_USAGE
    from app.credentials import without_key
    from app.engine.local import LocalEngine

    made = LocalEngine(environ=without_key(os.environ))
    engine: LocalEngine | None = made
    try:
        made.spawn()
    except (VoiceboothError, OSError) as exc:
        # The window starts one when it needs it, and says why if it cannot.
        logging.getLogger(__name__).warning("%s", exc)
        engine = None
    # The window runs the cycle collector itself, on its own thread (app.ui.main); it is
    # off from here, so the ~90 collections its imports and widgets would cause do not
    # delay the first paint.
    gc.disable()
    from app.ui.main import run_gui

    return run_gui(options, script=script, engine=engine)


def start_logging(args: argparse.Namespace, stderr: TextIO) -> None:
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        stream=stderr, format="%(levelname)s %(name)s: %(message)s")
