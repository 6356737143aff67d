"""Exporting several takes at once: their file names from the template, then each file
off the loop, one after another; a take that fails never stops the others.

Shared by the export dialog (one take or many) and the script panel's Export all.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.errors import VoiceboothError
from app.takes.export import ExportResult, ExportSpec, export_take
from app.takes.naming import render_name
from app.takes.take import Take


@dataclass(frozen=True)
class ExportItem:
    """One take to export, with the number and id its name is made from."""

    take: Take
    n: int
    id: str


@dataclass(frozen=True)
class ExportOutcome:
    item: ExportItem
    path: Path
    result: ExportResult | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.result is not None


def take_date(take: Take) -> datetime:
    try:
        return datetime.fromisoformat(take.created_at)
    except ValueError:
        return datetime.now(UTC)


def planned_paths(items: Sequence[ExportItem], folder: Path, template: str,
                  spec: ExportSpec) -> list[Path]:
    """Where each item goes. Two items whose names come out the same (ignoring case, as
    macOS and Windows do) get ``-2``, ``-3``… rather than overwrite each other.
    :class:`~app.takes.naming.NamingError` for a template that cannot work."""
    seen: dict[str, int] = {}
    paths = []
    for item in items:
        settings = item.take.settings
        stem = render_name(template, n=item.n, id=item.id,
                           voice=settings.voice_name or settings.voice_id,
                           text=settings.text, date=take_date(item.take))
        count = seen.get(stem.casefold(), 0) + 1
        seen[stem.casefold()] = count
        while count > 1 and f"{stem}-{count}".casefold() in seen:
            count += 1
        if count > 1:
            stem = f"{stem}-{count}"
            seen[stem.casefold()] = 1
        paths.append(folder / f"{stem}{spec.extension}")
    return paths


async def export_items(items: Sequence[ExportItem], paths: Sequence[Path], spec: ExportSpec,
                       *, overwrite: bool = False,
                       selection: tuple[float, float] | None = None,
                       progress: Callable[[ExportOutcome], None] | None = None
                       ) -> list[ExportOutcome]:
    """Export each item to its path, one at a time off the loop (decoding, loudness and
    fsync are CPU and disk work: two at once would only share the same cores).
    ``selection`` applies when there is one item."""
    loop = asyncio.get_running_loop()
    outcomes = []
    for item, path in zip(items, paths, strict=True):
        cut = selection if len(items) == 1 else None
        try:
            result = await loop.run_in_executor(None, functools.partial(
                export_take, item.take, path, spec, selection=cut, overwrite=overwrite))
            outcome = ExportOutcome(item, path, result)
        except VoiceboothError as exc:
            outcome = ExportOutcome(item, path, error=str(exc))
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    return outcomes
