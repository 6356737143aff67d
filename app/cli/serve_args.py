"""The options of ``voicebooth serve``, apart from the server: the command line lists them
without importing it, and the engine's own process parses them alone
(:func:`app.cli.serve.main`)."""

from __future__ import annotations

import argparse

from .argtypes import at_least_one


def add_serve_arguments(parser: argparse.ArgumentParser,
                        verbose_default: object = argparse.SUPPRESS) -> None:
    parser.add_argument("-v", "--verbose", action="store_true", default=verbose_default)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1); any other than "
                        "loopback needs --api-key, or --insecure")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    key = parser.add_mutually_exclusive_group()
    key.add_argument("--api-key", dest="require_key", help="require this key from clients")
    key.add_argument("--key-from-stdin", action="store_true",
                     help="require the key given as the first line of standard input (kept "
                     "off the command line, where other users can read it)")
    parser.add_argument("--allow-origin", action="append", default=[], metavar="ORIGIN",
                        help="let web pages from ORIGIN (e.g. https://app.example) use the "
                        "server; repeatable. Requests from any other page are refused")
    parser.add_argument("--insecure", action="store_true",
                        help="listen beyond loopback with no key: anyone who can reach this "
                        "machine may use the engine")
    parser.add_argument("--pace", type=float, default=0.0,
                        help="send audio at this multiple of real time (0: as fast as made)")
    parser.add_argument("--chunk-ms", type=int, default=40, help="audio per chunk message")
    parser.add_argument("--max-contexts", type=at_least_one, metavar="N",
                        help="refuse a context beyond N open at once with Cartesia's "
                        "concurrency_limited error, as a plan does (Free 2, Pro 3, Startup "
                        "5, Scale 15); default: no limit")
    parser.add_argument("--extra-voices", type=int, default=0, metavar="N",
                        help="also list N generated voices (a library of Cartesia's size)")
    parser.add_argument("--preload", action="store_true",
                        help="load the voices' models at start, not on first use")
    parser.add_argument("--exit-with-parent", action="store_true",
                        help="stop when the process that started this one ends (the app "
                        "runs its offline engine this way)")
    parser.add_argument("--nice", type=int, default=0,
                        help="lower this process's priority by N (the app uses 10)")
    parser.add_argument("--data-dir", metavar="FOLDER",
                        help="keep pronunciation dictionaries in this folder (default: the "
                        "app's data folder)")
