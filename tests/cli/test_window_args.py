"""The window's own parser (``voicebooth`` with no command): it takes the window's
arguments exactly as the full parser does, and leaves everything else to it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.cli.commands import build_parser
from app.cli.window import window_arguments

ROOT = Path(__file__).resolve().parents[2]

#: What the window reads of the parsed arguments.
READ = ("api_key", "base_url", "api_version", "offline", "verbose", "self_test", "command")

WINDOW_ALONE = ([], ["--offline"], ["--off"], ["-v"], ["--verbose", "--api-key", "k"],
                ["--base-url=http://127.0.0.1:9", "--api-version", "2024-06-10"],
                ["--api-key", "a", "--api-key", "b"])
NOT_THE_WINDOW_ALONE = (["say", "hello"], ["--offline", "open", "x.voicebooth"], ["-h"],
                        ["--help"], ["--self-test"], ["--bogus"], ["--api-key"], ["voices"],
                        ["--offline", "devices"])


@pytest.mark.parametrize("argv", WINDOW_ALONE)
def test_the_window_alone_is_parsed_as_the_full_parser_does(argv: list[str]) -> None:
    mine = window_arguments(argv)
    full = build_parser().parse_args(argv)
    assert mine is not None
    assert {name: getattr(mine, name) for name in READ} == \
        {name: getattr(full, name) for name in READ}


@pytest.mark.parametrize("argv", NOT_THE_WINDOW_ALONE)
def test_anything_else_goes_to_the_full_parser(argv: list[str]) -> None:
    assert window_arguments(argv) is None


def test_the_full_parser_still_answers_what_the_window_parser_does_not_know() -> None:
    """``voicebooth --bogus`` and ``--help``: the full parser's own usage and help,
    never the window parser's."""
    bogus = subprocess.run([sys.executable, "main.py", "--bogus"], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert bogus.returncode == 2
    assert "unrecognized arguments: --bogus" in bogus.stderr
    assert "{say,batch,voices,lexicon,open,devices,serve}" in bogus.stderr
    helped = subprocess.run([sys.executable, "main.py", "--help"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0
    assert "Audition Cartesia voices" in helped.stdout and "--self-test" in helped.stdout
