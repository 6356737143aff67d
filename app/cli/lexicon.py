"""``voicebooth lexicon``: check, convert, import, export and list pronunciation lexicons;
push one to a Cartesia pronunciation dictionary, pull one back, list the dictionaries.

Files are W3C PLS (``.pls``/``.xml``), CSV (``.csv``) or Cartesia's dictionary
JSON (``.json``), chosen by the extension. A bad file is reported with its
line and column (exit 2) and nothing of it is imported. The user lexicon is
the one the window keeps (``lexicon.json`` in the data folder) and ``say``
applies unless ``--no-user-lexicon``. Dictionaries live on the server online
generations go to (Cartesia, or ``--base-url``), or with ``--offline`` (or no key) in
the built-in engine, which keeps them in the data folder.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Coroutine
from functools import partial
from pathlib import Path
from typing import Any, TextIO, TypeVar

import platformdirs

from app.markup import Lexicon
from app.markup.dialect import Dialect
from app.markup.lexicon import Entry
from app.markup.lexicon_formats import read_lexicon, write_lexicon
from app.settings import Settings
from app.studio.checks import model_for
from app.studio.dictionaries import PronunciationDicts
from app.studio.endpoints import Endpoints
from app.studio.lexicons import Lexicons
from app.studio.options import RunOptions

T = TypeVar("T")
#: The actions that only read and write files (connection options are refused there).
LOCAL_ACTIONS = ("check", "convert", "import", "export", "list")
Action = Callable[[argparse.Namespace, TextIO], Coroutine[Any, Any, int]]
DictAction = Callable[[argparse.Namespace, PronunciationDicts, TextIO],
                      Coroutine[Any, Any, int]]


def data_folder() -> Path:
    """Where the window keeps its data (and the user lexicon)."""
    return Path(platformdirs.user_data_dir("voicebooth", appauthor=False))


def add_lexicon_parser(sub: Any, add_global: Callable[[argparse.ArgumentParser], None]
                       ) -> None:
    """The ``lexicon`` command; each action is one block here and one function below."""
    lexicon = sub.add_parser("lexicon", help="check, convert, import and export "
                             "pronunciation lexicons (PLS, CSV, Cartesia JSON)")
    add_global(lexicon)
    actions = lexicon.add_subparsers(dest="action", required=True, metavar="ACTION")

    check = actions.add_parser("check", help="check a lexicon file (exit 2 with line and "
                               "column if it is bad)")
    check.add_argument("file")
    check.add_argument("--model", default="sonic-3",
                       help="check the phonemes for this model (default sonic-3)")
    check.add_argument("--language", default="en", help="language code (default en)")

    convert = actions.add_parser("convert", help="convert IN to OUT (formats from the "
                                 "extensions: .pls, .csv, .json)")
    convert.add_argument("input", metavar="IN")
    convert.add_argument("output", metavar="OUT")
    convert.add_argument("--force", action="store_true", help="overwrite OUT")

    imp = actions.add_parser("import", help="add a file's entries to the user lexicon "
                             "(an entry for the same word is replaced)")
    imp.add_argument("file")
    imp.add_argument("--replace", action="store_true",
                     help="replace the whole user lexicon with the file's entries")

    export = actions.add_parser("export", help="write the user lexicon to OUT")
    export.add_argument("output", metavar="OUT")
    export.add_argument("--force", action="store_true", help="overwrite OUT")

    actions.add_parser("list", help="print the user lexicon's entries")

    push = actions.add_parser("push", help="send a lexicon file to a Cartesia pronunciation "
                              "dictionary (created, or updated if one has that name); "
                              "prints its id for say --pronunciation-dict")
    push.add_argument("file")
    push.add_argument("--name", help="the dictionary's name (default: the file's name)")

    pull = actions.add_parser("pull", help="write a pronunciation dictionary to OUT "
                              "(.pls, .csv or .json)")
    pull.add_argument("dict_id", metavar="ID")
    pull.add_argument("output", metavar="OUT")
    pull.add_argument("--force", action="store_true", help="overwrite OUT")

    actions.add_parser("dicts", help="list the pronunciation dictionaries on the server")

    for parser in actions.choices.values():
        add_global(parser)


def dialect_of(model_id: str, language: str) -> Dialect:
    return model_for(model_id).dialect(language)


async def run_lexicon(args: argparse.Namespace, options: RunOptions, out: TextIO) -> int:
    actions: dict[str, Action] = {"check": _check, "convert": _convert, "import": _import,
                                  "export": _export, "list": _list}
    if args.action in actions:
        return await actions[args.action](args, out)
    remote: dict[str, DictAction] = {"push": _push, "pull": _pull, "dicts": _dicts}
    endpoints = Endpoints(Settings(None), options)
    try:
        return await remote[args.action](args, PronunciationDicts(endpoints), out)
    finally:
        await endpoints.close()


async def _push(args: argparse.Namespace, dicts: PronunciationDicts, out: TextIO) -> int:
    lexicon = await _off_loop(lambda: read_lexicon(Path(args.file)))
    name = args.name or Path(args.file).stem
    dict_id = await dicts.push(lexicon, name)
    print(f"{name}: {_count(len(lexicon))} → pronunciation dictionary {dict_id}", file=out)
    return 0


async def _pull(args: argparse.Namespace, dicts: PronunciationDicts, out: TextIO) -> int:
    lexicon = await dicts.pull(args.dict_id)
    await _off_loop(lambda: write_lexicon(lexicon, Path(args.output), overwrite=args.force))
    print(f"{args.output}: {_count(len(lexicon))} from {args.dict_id}", file=out)
    return 0


async def _dicts(args: argparse.Namespace, dicts: PronunciationDicts, out: TextIO) -> int:
    for found in await dicts.list():
        print(f"{found.id}  {found.name}  ({_count(len(found.items))})", file=out)
    return 0


async def _check(args: argparse.Namespace, out: TextIO) -> int:
    dialect = dialect_of(args.model, args.language)
    lexicon = await _off_loop(lambda: read_lexicon(Path(args.file), dialect))
    print(f"{args.file}: {_count(len(lexicon))}, no problems for {args.model}", file=out)
    return 0


async def _convert(args: argparse.Namespace, out: TextIO) -> int:
    lexicon = await _off_loop(lambda: read_lexicon(Path(args.input)))
    await _off_loop(lambda: write_lexicon(lexicon, Path(args.output), overwrite=args.force))
    print(f"{args.output}: {_count(len(lexicon))}", file=out)
    return 0


async def _import(args: argparse.Namespace, out: TextIO) -> int:
    lexicon = await _off_loop(lambda: read_lexicon(Path(args.file)))
    lexicons = Lexicons(data_folder())
    await lexicons.load()
    if args.replace:
        await lexicons.replace_user(list(lexicon.entries))
        print(f"the user lexicon now has {_count(len(lexicon))} from {args.file}", file=out)
        return 0
    known = {(e.text, e.language) for e in lexicons.user.entries}
    replaced = sum((e.text, e.language) in known for e in lexicon.entries)
    merged = {(e.text, e.language): e for e in [*lexicons.user.entries, *lexicon.entries]}
    await lexicons.replace_user(list(merged.values()))
    print(f"imported {_count(len(lexicon))} from {args.file} ({replaced} replaced); the user "
          f"lexicon has {_count(len(merged))}", file=out)
    return 0


async def _export(args: argparse.Namespace, out: TextIO) -> int:
    lexicons = Lexicons(data_folder())
    await lexicons.load()
    lexicon = Lexicon(lexicons.user.entries)
    await _off_loop(lambda: write_lexicon(lexicon, Path(args.output), overwrite=args.force))
    print(f"{args.output}: {_count(len(lexicon))}", file=out)
    return 0


async def _list(args: argparse.Namespace, out: TextIO) -> int:
    lexicons = Lexicons(data_folder())
    await lexicons.load()
    for source in lexicons.sources:
        if not source.entries and source.path is not None and source is not lexicons.user:
            continue
        where = f" ({source.path})" if source.path is not None else ""
        print(f"{source.name}{where}: {_count(len(source.entries))}", file=out)
        for entry in source.entries:
            print(f"  {_describe(entry)}", file=out)
    return 0


def add_lexicon_options(parser: argparse.ArgumentParser) -> None:
    """``--lexicon FILE`` (repeatable) and ``--no-user-lexicon``, for ``say`` and ``batch``."""
    parser.add_argument("--lexicon", action="append", default=[], metavar="FILE",
                        help="pronunciations to apply (PLS, CSV or Cartesia JSON); "
                        "repeatable, the first file wins for a word in several; the user "
                        "lexicon applies first")
    parser.add_argument("--no-user-lexicon", action="store_true",
                        help="leave out the user lexicon (the window's, see 'lexicon list')")


async def user_and_files(use_user: bool, files: list[str]) -> Lexicon:
    """``say``'s lexicon: the user lexicon (unless left out), then each ``--lexicon``."""
    entries: list[Entry] = []
    if use_user:
        lexicons = Lexicons(data_folder())
        await lexicons.load()
        entries.extend(lexicons.user.entries)
    for name in files:
        # Checked for the model with the text (check_settings), once it is known to be used.
        entries.extend((await _off_loop(partial(read_lexicon, Path(name)))).entries)
    return Lexicon(entries)


def _describe(entry: Entry) -> str:
    language = f" [{entry.language}]" if entry.language else ""
    return f"{entry.text} → {entry.pronunciation}{language}"


def _count(n: int) -> str:
    return f"{n} entr{'y' if n == 1 else 'ies'}"


async def _off_loop(work: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(None, work)
