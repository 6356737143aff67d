"""A project's lexicons, in order: the user's own, then files the user added.

The user lexicon lives in the data folder (``lexicon.json``, Cartesia's
dictionary JSON, written atomically); the files added are listed beside it
(``lexicon-files.json``) and read again on :meth:`Lexicons.load`. Where two
lexicons have an entry for the same word, the earlier one wins: what the user
kept in the lab beats an imported file. File work runs off the event loop.

Listeners (the editor's marks, the lab) get :class:`LexiconsChanged` after
every change.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from app.atomic import write_bytes
from app.events import Emitter
from app.markup import Lexicon
from app.markup.dialect import sonic3
from app.markup.errors import MarkupError
from app.markup.lexicon import Entry, entry_problems
from app.markup.lexicon_formats import format_of, lexicon_text, read_lexicon
from app.studio.errors import InvalidInput

USER = "user lexicon"
USER_FILE = "lexicon.json"
FILES_FILE = "lexicon-files.json"
T = TypeVar("T")


@dataclass
class LexiconSource:
    """One lexicon of the project: the user's (``path`` None when kept in memory), or a
    file."""

    name: str
    path: Path | None
    entries: list[Entry] = field(default_factory=list)
    #: Why a file could not be read at the last load ("" when it was).
    problem: str = ""


@dataclass(frozen=True)
class LexiconsChanged:
    """Entries were added or removed, or a file was added, removed or read again."""


class Lexicons:
    def __init__(self, folder: Path | None = None) -> None:
        """``folder``: the data folder; None keeps the user lexicon in memory (tests,
        ``say --no-user-lexicon``)."""
        self.folder = folder
        self.user = LexiconSource(USER, folder / USER_FILE if folder else None)
        self.files: list[LexiconSource] = []
        self.events: Emitter[LexiconsChanged] = Emitter()

    # --- reading ------------------------------------------------------------------------

    @property
    def sources(self) -> list[LexiconSource]:
        return [self.user, *self.files]

    def entries(self) -> list[Entry]:
        """Every entry, the user's first, then each file's in order."""
        return [e for source in self.sources for e in source.entries]

    def lexicon(self) -> Lexicon:
        """The combined lexicon used when generating."""
        return Lexicon(self.entries())

    def entry_for(self, word: str) -> Entry | None:
        """The entry that would say ``word`` (the lab prefills it)."""
        return self.lexicon().lookup(word)

    async def load(self) -> None:
        """Read the user lexicon and the files listed beside it. A file that cannot be
        read stays listed with its problem (it may be on a drive not mounted now). A
        user lexicon that cannot be read raises, and is never written over until it
        reads again: the user's entries are not lost to a stray edit."""
        try:
            self.user.entries, names = await _off_loop(self._read_folder)
        except MarkupError as exc:
            self.user.entries, self.user.problem = [], str(exc)
            self.events.emit(LexiconsChanged())
            raise InvalidInput(f"the user lexicon could not be read: {exc}") from None
        self.user.problem = ""
        self.files = await _off_loop(lambda: [_read_source(Path(n)) for n in names])
        self.events.emit(LexiconsChanged())

    def _read_folder(self) -> tuple[list[Entry], list[str]]:
        if self.folder is None:
            return [], []
        user = self.folder / USER_FILE
        entries = list(read_lexicon(user).entries) if user.exists() else []
        listed = self.folder / FILES_FILE
        try:
            names = json.loads(listed.read_text("utf-8")) if listed.exists() else []
        except (OSError, ValueError) as exc:
            raise MarkupError(f"cannot read {listed}: {exc}") from None
        entries = [replace(e, source=USER) for e in entries]
        return entries, [n for n in names if isinstance(n, str)] if isinstance(names, list) \
            else []

    # --- changing -----------------------------------------------------------------------

    async def add(self, entry: Entry, lexicon: LexiconSource | None = None) -> Entry:
        """Add (or replace: same word, same language) an entry; saved at once. Files
        added are written back in their own format. An entry with a problem (a symbol
        outside IPA, say) raises :class:`InvalidInput` and changes nothing."""
        for offset, problem in entry_problems(entry, sonic3())[:1]:
            at = f" (at character {offset + 1} of the pronunciation)" if offset else ""
            raise InvalidInput(f"the entry for {entry.text!r} is not kept: {problem}{at}")
        source = lexicon or self.user
        kept = replace(entry, source=source.name)
        same = [i for i, e in enumerate(source.entries)
                if (e.text, e.language) == (entry.text, entry.language)]
        if same:
            source.entries[same[0]] = kept
        else:
            source.entries.append(kept)
        await self._save(source)
        return kept

    async def remove(self, text: str, lexicon: LexiconSource | None = None, *,
                     language: str | None = None) -> bool:
        """Remove the entry for ``text`` (and ``language``); whether there was one."""
        source = lexicon or self.user
        before = len(source.entries)
        source.entries = [e for e in source.entries
                          if (e.text, e.language) != (text, language)]
        if len(source.entries) == before:
            return False
        await self._save(source)
        return True

    async def replace_user(self, entries: list[Entry]) -> None:
        """The user lexicon becomes ``entries`` (``lexicon import``)."""
        self.user.entries = [replace(e, source=USER) for e in entries]
        await self._save(self.user)

    async def merge_user(self, entries: list[Entry]) -> int:
        """Bring ``entries`` into the user lexicon (an import, a pulled dictionary): an
        entry for a word already there replaces it, the others are added after. All or
        nothing: an entry with a problem raises :class:`InvalidInput` naming it, and the
        user lexicon is left as it was. How many entries came in."""
        for entry in entries:
            for offset, problem in entry_problems(entry, sonic3())[:1]:
                at = f" (at character {offset + 1} of the pronunciation)" if offset else ""
                raise InvalidInput(f"nothing was imported: the entry for {entry.text!r}: "
                                   f"{problem}{at}")
        merged = {(e.text, e.language): e for e in self.user.entries}
        for entry in entries:
            merged[(entry.text, entry.language)] = replace(entry, source=USER)
        previous = self.user.entries
        self.user.entries = list(merged.values())
        try:
            await self._save(self.user)
        except BaseException:
            self.user.entries = previous
            raise
        return len(entries)

    async def move(self, source: LexiconSource, offset: int) -> None:
        """Move a file ``offset`` places later (negative: earlier) among the files; an
        earlier lexicon wins where two have the same word. The user lexicon always comes
        first."""
        at = next((i for i, f in enumerate(self.files) if f is source), None)
        if at is None:
            raise InvalidInput(f"{source.name} is not one of the project's lexicon files")
        to = max(0, min(len(self.files) - 1, at + offset))
        if to == at:
            return
        self.files.insert(to, self.files.pop(at))
        await self._save_list()
        self.events.emit(LexiconsChanged())

    async def add_file(self, path: Path) -> LexiconSource:
        """Add a lexicon file after the others; a bad file raises and nothing changes."""
        path = await _off_loop(path.resolve)
        if any(f.path == path for f in self.files):
            raise InvalidInput(f"{path.name} is already one of the project's lexicons")
        source = LexiconSource(path.name, path,
                               list((await _off_loop(lambda: read_lexicon(path))).entries))
        self.files.append(source)
        await self._save_list()
        self.events.emit(LexiconsChanged())
        return source

    async def remove_file(self, source: LexiconSource) -> None:
        self.files = [f for f in self.files if f is not source]
        await self._save_list()
        self.events.emit(LexiconsChanged())

    async def _save(self, source: LexiconSource) -> None:
        if source.problem:
            raise InvalidInput(f"{source.name} is not changed: it could not be read "
                               f"({source.problem}); fix or move the file first")
        if source.path is not None:
            data = lexicon_text(Lexicon(source.entries), format_of(source.path)).encode("utf-8")
            path = source.path
            await _off_loop(lambda: _write(path, data))
        self.events.emit(LexiconsChanged())

    async def _save_list(self) -> None:
        if self.folder is None:
            return
        data = json.dumps([str(f.path) for f in self.files], ensure_ascii=False, indent=1)
        target = self.folder / FILES_FILE
        await _off_loop(lambda: _write(target, data.encode("utf-8") + b"\n"))


def _read_source(path: Path) -> LexiconSource:
    try:
        return LexiconSource(path.name, path, list(read_lexicon(path).entries))
    except MarkupError as exc:
        return LexiconSource(path.name, path, [], str(exc))


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(path, data)


async def _off_loop(work: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(None, work)
