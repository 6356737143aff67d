"""The command line's parser and commands (:func:`app.cli.main` runs them): every
module here is imported when the command that needs it runs."""

from __future__ import annotations

import argparse
import asyncio
import difflib
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TextIO

from app.atomic import TargetExists, WriteError
from app.audio.codecs import ENCODINGS, SAMPLE_RATES
from app.audio.devices import format_device_table, output_devices
from app.cartesia.errors import (
    AuthError,
    CartesiaError,
    ConfigError,
    ConnectError,
    InvalidText,
    NotFound,
    PermissionDenied,
    ServerError,
)
from app.cartesia.models import catalog
from app.credentials import ENV_VAR
from app.errors import VoiceboothError
from app.markup import MarkupError
from app.studio.errors import InvalidInput, NeedsCartesia
from app.studio.options import RunOptions

from .argtypes import at_least_one, positive_seconds
from .batch_args import add_batch_arguments
from .global_args import GLOBAL_OPTIONS, add_global_options
from .lexicon import LOCAL_ACTIONS, add_lexicon_options, add_lexicon_parser
from .outputs import OutputError, Terminated, UsageError, add_export_arguments
from .serve_args import add_serve_arguments
from .window import open_window, run_options, start_logging

EXIT_OK, EXIT_WRITE, EXIT_USAGE, EXIT_KEY, EXIT_NETWORK = 0, 1, 2, 3, 4
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143

GENDERS = ("masculine", "feminine", "gender_neutral")


# --- argument types: bad values exit 2 with argparse's own message ---------------


def language_code(text: str) -> str:
    known = sorted({code for model in catalog().models for code in model.languages})
    if text not in known:
        close = difflib.get_close_matches(text, known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise argparse.ArgumentTypeError(f"unknown language {text!r}; {hint}known: "
                                         f"{', '.join(known)}")
    return text


# --- the parser ------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voicebooth",
        description="Audition Cartesia voices. With no command, opens the window (the "
        "options below apply to it too).")
    add_global_options(parser, after_command=False)
    parser.add_argument("--self-test", action="store_true",
                        help="check this installation offline (the engine, its voices, a WAV "
                        "written and read back, the window built offscreen) and exit; "
                        "nothing of yours is read or written")
    sub = parser.add_subparsers(dest="command")

    say = sub.add_parser("say", help="generate speech into a WAV, FLAC, MP3 or Opus file")
    add_global_options(say, after_command=True)
    say.add_argument("text", nargs="?", help="text with Cartesia markup, or - for stdin")
    say.add_argument("-f", "--file", help="read the text from a file")
    say.add_argument("--voice", action="append", metavar="ID",
                     help="voice id; repeat it to hear the line in several voices (then "
                     "-o names a folder: one WAV per voice, named by voice)")
    say.add_argument("--max-parallel", type=at_least_one, default=2, metavar="N",
                     help="with several voices, render at most N at once (your plan's "
                     "concurrency: Free 2, Pro 3, Startup 5, Scale 15; default 2)")
    say.add_argument("--model", default="sonic-3", help="model id (default sonic-3)")
    say.add_argument("--language", default="en", help="language code (default en)")
    say.add_argument("--speed", type=float, help="0.6 to 1.5 (sonic-3)")
    say.add_argument("--volume", type=float, help="0.5 to 2.0 (sonic-3)")
    say.add_argument("--emotion", help="e.g. neutral, excited, sad (sonic-3)")
    say.add_argument("--encoding", default="pcm_f32le", choices=ENCODINGS)
    say.add_argument("--sample-rate", type=int, default=44100, choices=SAMPLE_RATES)
    say.add_argument("-o", "--output", help="write the audio to this file (.wav, .flac, "
                     ".mp3 or .opus; see the finished exports below)")
    say.add_argument("--force", action="store_true", help="overwrite existing outputs")
    say.add_argument("--timestamps", help="write word and phoneme timings as JSON")
    say.add_argument("--srt", help="write subtitles (SRT) from the word timings")
    say.add_argument("--vtt", help="write subtitles (WebVTT) from the word timings")
    say.add_argument("--play", action="store_true",
                     help="play while it streams (with the output written as well, if -o)")
    say.add_argument("--device", help="output device name or number (see 'devices')")
    say.add_argument("--pronunciation-dict", metavar="ID",
                     help="apply this Cartesia pronunciation dictionary (its id; the server "
                     "the voice uses must hold it)")
    say.add_argument("--timeout", type=positive_seconds, default=10.0,
                     help="seconds to wait for the first audio and between messages")
    add_lexicon_options(say)
    add_export_arguments(say)

    batch = sub.add_parser("batch", help="render every line of a script into finished "
                           "files (resumable)")
    add_global_options(batch, after_command=True)
    add_batch_arguments(batch)

    voices = sub.add_parser("voices", help="list voices")
    add_global_options(voices, after_command=True)
    voices.add_argument("--query", "-q", help="search names and descriptions")
    voices.add_argument("--language", type=language_code,
                        help="only voices that speak this language")
    voices.add_argument("--gender", choices=GENDERS)
    voices.add_argument("--mine", action="store_true", help="only your own voices")
    voices.add_argument("--limit", type=at_least_one, help="at most this many")
    voices.add_argument("--json", action="store_true", help="print JSON")
    voices.add_argument("--timeout", type=positive_seconds, default=15.0,
                        help="seconds for the whole listing, retries included (default 15)")

    add_lexicon_parser(sub, lambda p: add_global_options(p, after_command=True))

    open_script = sub.add_parser("open", help="open the window with a script "
                                 "(NAME.voicebooth, or lines in .csv or .jsonl)")
    add_global_options(open_script, after_command=True)
    open_script.add_argument("script", help="the script to open")

    devices = sub.add_parser("devices", help="list sound output devices")
    devices.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS)

    serve = sub.add_parser("serve", help="run the offline engine as a Cartesia-compatible "
                           "server")
    add_serve_arguments(serve)
    return parser


def refuse_inapplicable(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """``devices``, ``serve`` and the lexicon's file actions do not connect anywhere: a
    connection option is a mistake."""
    command = args.command
    if command == "lexicon" and args.action in LOCAL_ACTIONS:
        command = f"lexicon {args.action}"
    elif command not in ("devices", "serve"):
        return
    given = [name for name in GLOBAL_OPTIONS if getattr(args, name, None)]
    if not given:
        return
    flag = "--" + given[0].replace("_", "-")
    extra = ("; to make the server require a key, use 'serve --api-key KEY'"
             if command == "serve" and given[0] == "api_key" else "")
    parser.error(f"{flag} does not apply to '{command}'{extra}")


# --- running ------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None,
         stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    parser = build_parser()
    args = parser.parse_args(argv)
    refuse_inapplicable(parser, args)
    if args.self_test:
        if args.command is not None:
            parser.error(f"--self-test runs alone, without '{args.command}'")
        # It checks the offline engine only: a key or a URL given would be ignored.
        if given := [name for name in GLOBAL_OPTIONS if getattr(args, name, None)]:
            parser.error(f"--{given[0].replace('_', '-')} does not apply to --self-test "
                         "(it checks the installation offline)")
        # Offscreen before Qt loads: the test must run without a display, and
        # its window must never appear on the user's screen.
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from .selftest import run_self_test

        return run_self_test(stdout)
    start_logging(args, stderr)
    options = run_options(args)
    if args.command in (None, "open"):
        return open_window(args, options, stderr)
    try:
        command = _command(args, options, stdin, stdout, stderr)  # imports: before the loop
        return asyncio.run(command())
    except KeyboardInterrupt:
        print("interrupted", file=stderr)
        return EXIT_INTERRUPTED
    except VoiceboothError as exc:
        print(f"error: {exc}", file=stderr)
        if hint := hint_for(exc, options):
            print(f"hint: {hint}", file=stderr)
        return exit_code(exc)


def hint_for(exc: VoiceboothError, options: RunOptions) -> str:
    """What to try next, for the failures where the message alone does not say."""
    if isinstance(exc, AuthError):
        return (f"check the key: --api-key, ${ENV_VAR}, the one stored from the window's "
                "Settings, or a .env file (working folder, then config folder); --offline "
                "uses the built-in engine")
    if isinstance(exc, ConnectError):
        base = "" if options.base_url else " and --base-url"
        return (f"check the network connection{base}; --offline uses the built-in engine, "
                "which needs no network")
    return ""


_EXIT_CODES: tuple[tuple[Callable[[VoiceboothError], bool], int], ...] = (
    (lambda e: isinstance(e, Terminated), EXIT_TERMINATED),
    (lambda e: isinstance(e, UsageError | InvalidInput | MarkupError | ConfigError
                          | TargetExists | InvalidText), EXIT_USAGE),
    (lambda e: isinstance(e, NeedsCartesia) and e.offline_mode, EXIT_USAGE),
    (lambda e: isinstance(e, NeedsCartesia | AuthError | PermissionDenied), EXIT_KEY),
    # The server says the request itself is wrong: an unknown voice or model, a
    # language or value it refuses. That is bad input, not a network problem.
    (lambda e: isinstance(e, NotFound)
     or (isinstance(e, ServerError) and e.status in (400, 422)), EXIT_USAGE),
    (lambda e: isinstance(e, CartesiaError), EXIT_NETWORK),
    (lambda e: isinstance(e, OutputError | WriteError), EXIT_WRITE),
)


def exit_code(exc: VoiceboothError) -> int:
    """The documented exit code for an error (most specific rule first)."""
    return next((code for applies, code in _EXIT_CODES if applies(exc)), EXIT_USAGE)


def _command(args: argparse.Namespace, options: RunOptions, stdin: TextIO, stdout: TextIO,
             stderr: TextIO) -> Callable[[], Coroutine[Any, Any, int]]:
    """The coroutine function that runs the command, its module imported now: an import
    on the running loop would stall it (asyncio's debug mode reports it)."""
    if args.command == "serve":
        from .serve import run_serve

        return lambda: run_serve(args, stdout, stderr)
    if args.command == "devices":
        async def devices() -> int:
            print(format_device_table(output_devices()), file=stdout)
            return EXIT_OK

        return devices
    if args.command == "say":
        from .say import run_say

        return lambda: run_say(args, options, stdin, stderr)
    if args.command == "batch":
        from .batch import run_batch

        return lambda: run_batch(args, options, stdout, stderr)
    if args.command == "voices":
        from .voices import run_voices

        return lambda: run_voices(args, options, stdout)
    if args.command == "lexicon":
        from .lexicon import run_lexicon

        return lambda: run_lexicon(args, options, stdout)
    raise UsageError(f"unknown command {args.command!r}")
