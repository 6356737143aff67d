"""``voicebooth batch``'s arguments (kept apart from the run, so building the parser
imports nothing of the studio)."""

from __future__ import annotations

import argparse

from app.takes.export import TIMINGS_KINDS, TimingsKind
from app.takes.naming import DEFAULT_TEMPLATE

from .argtypes import at_least_one, positive_seconds
from .lexicon import add_lexicon_options
from .outputs import add_export_arguments


def timings_kinds(text: str) -> frozenset[TimingsKind]:
    """``json,srt,vtt`` (any of them, comma separated); ``none`` for no timings."""
    if text.strip().lower() == "none":
        return frozenset()
    kinds = [kind.strip().lower() for kind in text.split(",") if kind.strip()]
    unknown = [kind for kind in kinds if kind not in TIMINGS_KINDS]
    if unknown or not kinds:
        raise argparse.ArgumentTypeError(
            f"unknown timings {', '.join(map(repr, unknown)) or repr(text)}; give any of "
            f"{','.join(TIMINGS_KINDS)} (comma separated), or none")
    return frozenset(kind for kind in TIMINGS_KINDS if kind in kinds)


def add_batch_arguments(batch: argparse.ArgumentParser) -> None:
    batch.add_argument("script", metavar="SCRIPT",
                       help="the lines: CSV or JSON Lines (id,text[,voice,model,language,"
                       "speed,volume,emotion]) or a .voicebooth project")
    batch.add_argument("-o", "--output", required=True, metavar="DIR",
                       help="folder for the files (made if missing); it keeps a manifest, "
                       "so running again renders only what changed")
    batch.add_argument("--voice", metavar="ID",
                       help="voice for the lines that name none (default: the offline "
                       "engine's voice when no key is set)")
    batch.add_argument("--model", metavar="ID",
                       help="model for the lines that name none (default sonic-3)")
    batch.add_argument("--language", metavar="CODE",
                       help="language for the lines that name none (default en)")
    batch.add_argument("--concurrency", type=at_least_one, metavar="N",
                       help="render at most N lines at once (default: your plan's limit, "
                       "2 when unknown: Free 2, Pro 3, Startup 5, Scale 15)")
    batch.add_argument("--name", default=DEFAULT_TEMPLATE, metavar="TEMPLATE",
                       help="file name of each line, from {n}, {id}, {voice}, {text}, "
                       f"{{date}} (default {DEFAULT_TEMPLATE})")
    batch.add_argument("--timings", type=timings_kinds, default=frozenset({"json"}),
                       metavar="KINDS",
                       help="timings beside each file: any of json,srt,vtt, or none "
                       "(default json)")
    batch.add_argument("--dry-run", action="store_true",
                       help="list what would be rendered and what is done already; render "
                       "nothing")
    batch.add_argument("--force", action="store_true",
                       help="render every line again, done or not (overwriting its files)")
    batch.add_argument("--timeout", type=positive_seconds, default=15.0, metavar="SECONDS",
                       help="seconds to wait for the first audio and between messages")
    add_lexicon_options(batch)  # pronunciations as say (and the window) apply them
    add_export_arguments(batch)  # the same finishing flags as say's
