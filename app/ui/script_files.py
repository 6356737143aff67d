"""The File menu's scripts: new, open, save, save as, import lines, recent, and the script
the window starts with.

Reading and writing are the studio's (:mod:`app.studio.project`,
:mod:`app.studio.script_sources`) and run off the loop; this asks for file names,
keeps the recent list and says what went wrong (a bad CSV with its line and column;
the script shown is left as it was).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

from app.errors import VoiceboothError
from app.settings import RECENT_SCRIPTS, SCRIPT_PATH, Settings
from app.studio.project import SUFFIX, recover_untitled, save_script
from app.studio.script import Script, ScriptError
from app.studio.script_sources import read_script
from app.ui.script_panel import ScriptPanel

#: Recent scripts kept in the File menu.
RECENT_KEPT = 8
PROJECT_FILTER = f"Voicebooth scripts (*{SUFFIX})"
LINES_FILTER = "Lines (*.csv *.jsonl *.ndjson)"


class ScriptFiles:
    def __init__(self, panel: ScriptPanel, settings: Settings, parent: QWidget,
                 report: Callable[[str], None], notice: Callable[[str], None],
                 remembered: Callable[[], None]) -> None:
        """``report``: an error for the banner; ``notice``: a note for the status bar;
        ``remembered``: the settings changed (the window saves them soon)."""
        self.panel = panel
        self.settings = settings
        self.parent = parent
        self.report = report
        self.notice = notice
        self.remembered = remembered

    # --- reading ---------------------------------------------------------------------

    async def read(self, path: Path) -> Script:
        """The script in ``path`` (a project, CSV or JSON Lines), read off the loop."""
        return await asyncio.get_running_loop().run_in_executor(None, read_script, path)

    async def open(self, path: Path) -> bool:
        """Show the script in ``path``; on a bad file say where and why, and keep the
        script shown."""
        try:
            script = await self.read(path)
        except VoiceboothError as exc:
            self.report(f"The script was not opened: {exc}")
            return False
        await self.panel.set_script(script)
        self._problems(script)
        if script.path is not None:
            self._remember(script.path)
        else:
            self.notice(f"{len(script)} lines read from {path.name}: Save script as… to "
                        "keep them as a project (until then they are autosaved).")
        self._show_panel()
        return True

    async def start_with(self, path: Path | None) -> None:
        """At start: ``path`` (from the command line), else the script open when the
        window last closed, else the untitled script autosaved before a crash."""
        if path is not None:
            await self.open(path)
            return
        last = self.settings.get(SCRIPT_PATH)
        if last and _is_file(Path(last)):
            await self.open(Path(last))
            return
        untitled = self.panel.untitled
        if untitled is None:
            return
        try:
            script = await asyncio.get_running_loop().run_in_executor(
                None, recover_untitled, untitled)
        except VoiceboothError as exc:
            self.report(f"The untitled script kept from last time could not be read: {exc}")
            return
        if script is None:
            return
        await self.panel.set_script(script)
        if len(script):
            self._problems(script)
            self.notice(f"The untitled script of {len(script)} lines from last time is "
                        "back (it is autosaved).")
            self._show_panel()

    async def import_lines(self, path: Path) -> bool:
        """Lines of a CSV or JSON Lines file appended to the script; a bad file adds
        nothing and says where it is wrong."""
        try:
            source = await self.read(path)
            clash = sorted({line.id for line in source.lines}
                           & {line.id for line in self.panel.script.lines})
            if clash:
                raise ScriptError(f"{len(clash)} of its ids are already lines of this "
                                  f"script ({', '.join(clash[:5])}"
                                  f"{', …' if len(clash) > 5 else ''}); rename them first")
        except VoiceboothError as exc:
            self.report(f"No lines were imported: {exc}")
            return False
        script = self.panel.script
        first = len(script)
        for line in source.lines:
            script.insert_line(len(script), line)
        self.panel.table.selectRow(first)
        self._show_panel()
        self.notice(f"{len(source)} lines imported from {path.name}.")
        return True

    def _problems(self, script: Script) -> None:
        if script.problems:
            self.report(" ".join(script.problems[:3]))

    # --- writing ---------------------------------------------------------------------

    async def new(self) -> None:
        """An empty untitled script (the one shown is saved first)."""
        await self.panel.set_script(Script())
        self.settings.set(SCRIPT_PATH, "")
        self.remembered()
        self._show_panel()

    async def save(self, path: Path | None = None) -> Path | None:
        """Save to ``path`` (Save as), else to the script's own file; ``None`` when the
        script has no file yet or the save failed (said in the banner)."""
        script = self.panel.script
        target = path or script.path
        if target is None:
            return None
        if target.suffix != SUFFIX:
            target = target.with_name(target.name + SUFFIX)
        autosave = self.panel.autosave
        try:
            # Through the autosave's writer when there is one: two writes of one
            # project never overlap, and it follows the new path from now on.
            written = await (autosave.save(target) if autosave is not None
                             else save_script(script, target))
        except (VoiceboothError, OSError) as exc:
            self.report(f"The script was not saved: {exc}")
            return None
        script.path = written
        self.panel.redraw()
        self._remember(written)
        self.notice(f"Saved {written.name}.")
        return written

    def _remember(self, path: Path) -> None:
        path = path.resolve()
        recent = [p for p in self.settings.get(RECENT_SCRIPTS) if p != str(path)]
        self.settings.set(RECENT_SCRIPTS, [str(path), *recent][:RECENT_KEPT])
        self.settings.set(SCRIPT_PATH, str(path))
        self.remembered()

    def _show_panel(self) -> None:
        dock = self.panel.parentWidget()
        if dock is not None:
            dock.show()

    # --- dialogs ---------------------------------------------------------------------

    def ask_open(self) -> Path | None:
        name, _ = QFileDialog.getOpenFileName(self.parent, "Open script", self._folder(),
                                              f"{PROJECT_FILTER};;{LINES_FILTER}")
        return Path(name) if name else None

    def ask_save_as(self) -> Path | None:
        name, _ = QFileDialog.getSaveFileName(self.parent, "Save script as", self._folder(),
                                              PROJECT_FILTER)
        return Path(name) if name else None

    def ask_import(self) -> Path | None:
        name, _ = QFileDialog.getOpenFileName(self.parent, "Import lines", self._folder(),
                                              LINES_FILTER)
        return Path(name) if name else None

    def _folder(self) -> str:
        script = self.panel.script
        if script.path is not None:
            return str(script.path.parent)
        recent = self.settings.get(RECENT_SCRIPTS)
        return str(Path(recent[0]).parent) if recent else str(Path.home())

    def fill_recent(self, menu: QMenu, open_path: Callable[[Path], None]) -> None:
        menu.clear()
        recent = self.settings.get(RECENT_SCRIPTS)
        if not recent:
            menu.addAction("(none yet)").setEnabled(False)
        for name in recent:
            path = Path(name)
            action = menu.addAction(f"{path.name} — {path.parent}")
            action.triggered.connect(lambda _=False, p=path: open_path(p))


def _is_file(path: Path) -> bool:
    # A stat, not a read: quick enough for the loop at start.
    return path.is_file()
