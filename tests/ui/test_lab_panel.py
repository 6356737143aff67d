"""IPA help and the pronunciation lab in the real window, offline (espeak-ng speaks the
candidates): symbols show and say their example, the palette is prefilled with how the
engine says the word, the lab renders every candidate with its word's phonemes under
the waveform, A/B works between candidates, and keeping one edits the line."""

from __future__ import annotations

import json
from pathlib import Path

import qasync
from PySide6.QtCore import QPointF
from PySide6.QtGui import QEnterEvent
from PySide6.QtWidgets import QApplication

from app.engine.synth.espeak import EspeakSynthesizer
from app.markup.ipa import EXAMPLES
from app.markup.lexicon import Entry
from app.studio.lineup import RowState
from app.takes.take import Take
from app.ui.lab_panel import WAVE, LabWave
from app.ui.window import MainWindow
from tests.ui.conftest import run, until

LINE = "Welcome to the show.\nTry Cartesia, the fastest voices. Goodbye!"
START = LINE.index("Cartesia")


def use_espeak(window: MainWindow) -> None:
    espeak = EspeakSynthesizer().voices()[0].id
    window.use_voice(next(v for v in window.studio.library.voices if v.id == espeak))
    assert window.voice is not None and window.voice.id == espeak


def select(window: MainWindow, start: int, end: int) -> None:
    cursor = window.editor.textCursor()
    cursor.setPosition(start)
    cursor.setPosition(end, cursor.MoveMode.KeepAnchor)
    window.editor.setTextCursor(cursor)


async def heard_to_its_end(window: MainWindow, take: Take) -> None:
    """Until ``take`` has streamed in full and been played through: "not playing" alone
    is also true before its player has opened, and a test ending then would leave it
    streaming into the shutdown."""
    transport = window.studio.transport
    await until(lambda: take.status.value != "streaming" and transport.take is take
                and transport.holds_current and not transport.playing)


def test_symbols_say_their_example_and_the_word_is_prefilled(
        window: MainWindow, loop: qasync.QEventLoop) -> None:
    async def scenario() -> None:
        use_espeak(window)
        window.editor.setPlainText("Board the ship.")
        select(window, 10, 14)
        palette = window.editor.open_palette()
        # Prefilled with how the engine says "ship" (off the loop).
        await until(lambda: palette.phonemes)
        assert [p.strip("ˈˌ") for p in palette.phonemes] == ["ʃ", "ɪ", "p"]
        assert palette.markup().startswith("<<ʃ|")
        for symbol, button in palette.buttons.items():
            assert EXAMPLES[symbol].describe() in button.toolTip()
        transport = window.studio.transport
        # Resting on a symbol says its example word, in the line's voice.
        button = palette.buttons["ʒ"]
        point = QPointF(5, 5)
        QApplication.sendEvent(button, QEnterEvent(point, point, point))
        assert palette.example.text() == "ʒ — s as in vision"
        await until(lambda: transport.take is not None
                    and transport.take.settings.text == "<<v|ɪ|ʒ|ə|n>>.")
        heard = transport.take
        assert heard is not None
        await heard_to_its_end(window, heard)
        # A click adds the symbol and says it too.
        palette.hide()
        palette.show()
        palette.buttons["ŋ"].click()
        assert palette.phonemes[-1] == "ŋ"
        await until(lambda: transport.take is not None
                    and transport.take.settings.text == "<<s|ɪ|ŋ>>.")
        assert transport.take is not None
        await heard_to_its_end(window, transport.take)
        palette.hide()

    run(loop, scenario())


def test_the_lab_renders_compares_and_keeps_a_pronunciation(
        window: MainWindow, loop: qasync.QEventLoop) -> None:
    async def scenario() -> None:
        use_espeak(window)
        window.editor.setPlainText(LINE)
        select(window, START + 3, START + 3)  # the cursor in the word is enough
        window.editor.request_lab()
        panel = window.lab_panel
        assert panel is not None and panel.word.word == "Cartesia"
        await until(lambda: any(c.source == "engine" for c in panel.candidates))
        panel.typed.setText("k|Q|r")
        panel.add_typed()
        assert "'Q' is not an IPA symbol" in panel.status.text()
        assert panel.typed.text() == "k|Q|r"  # kept, to be corrected
        for typed in ("kar-TEE-zhuh", "k|ɑ|ɹ|ˈt|e|s|i|ə"):
            panel.typed.setText(typed)
            panel.add_typed()
        assert panel.table.rowCount() == 3
        panel.parallel.setValue(2)
        panel.render_button.click()
        lab = panel.lab
        assert lab is not None and lab.limit == 2
        await until(lambda: lab.finished)
        assert [row.state for row in lab.candidates] == [RowState.DONE] * 3
        for index, row in enumerate(lab.candidates):
            wave = panel.table.cellWidget(index, WAVE)
            assert isinstance(wave, LabWave) and wave.take is row.take
            assert wave.labels() and wave.labels()[0].text.strip("ˈ") == "k"
        assert panel.table.item(0, 3).text().startswith("0:0")  # m:ss.s
        # One more candidate: only it is rendered; the others keep their takes.
        takes = [panel.row(i).take for i in range(3)]  # type: ignore[union-attr]
        panel.typed.setText("kar-tay-SEE-uh")
        panel.add_typed()
        assert panel.render_button.text() == "Render 1 new"
        assert [panel.table.cellWidget(i, WAVE).take for i in range(3)] == takes
        panel.render_button.click()
        second = panel.lab
        assert second is not None and second is not lab and len(second.rows) == 1
        await until(lambda: second.finished)
        assert [panel.row(i).take for i in range(3)] == takes  # type: ignore[union-attr]
        assert panel.row(3) is second.rows[0] and second.rows[0].state is RowState.DONE
        assert panel.render_button.text() == "Render again"

        # A/B between two candidates: same written sentence, different pronunciations.
        # Through the selection model: selectRow() follows whatever keyboard modifiers
        # Qt believes are held, which earlier tests may have left behind.
        selection = panel.table.selectionModel()
        flags = selection.SelectionFlag
        selection.select(panel.table.model().index(1, 0), flags.ClearAndSelect | flags.Rows)
        selection.select(panel.table.model().index(2, 0), flags.Select | flags.Rows)
        assert panel.ab_button.isEnabled()
        panel.ab_button.click()
        transport = window.studio.transport
        assert transport.ab == (lab.candidates[1].take, lab.candidates[2].take)
        await until(lambda: transport.holds_current or transport.problem is not None)
        panel.stop()

        # Keep the typed IPA in this occurrence: the line has it, then is said again.
        selection.select(panel.table.model().index(2, 0), flags.ClearAndSelect | flags.Rows)
        kept: list[tuple[str, str, str]] = []
        panel.kept.connect(lambda *k: kept.append(k))
        panel.keep_here_button.click()
        assert kept == [("Cartesia", "<<k|ɑ|ɹ|ˈt|e|s|i|ə>>", "occurrence")]
        assert window.editor.toPlainText() == LINE.replace("Cartesia", "<<k|ɑ|ɹ|ˈt|e|s|i|ə>>")
        await until(lambda: transport.take is not None
                    and "<<k|ɑ|ɹ|ˈt|e|s|i|ə>>" in transport.take.settings.text)
        current = transport.take
        assert current is not None
        await until(lambda: current.status.value != "streaming")
        # "Everywhere" goes to the user lexicon (kept on disk); the text is left as it
        # is, and the line is said again with the entry applied to the written word.
        window.editor.setPlainText(LINE)  # the written word back in the line
        selection.select(panel.table.model().index(1, 0), flags.ClearAndSelect | flags.Rows)
        panel.keep_all_button.click()
        assert kept[-1] == ("Cartesia", "kar-TEE-zhuh", "everywhere")
        earlier = window.studio.pronunciations.for_word("Cartesia")
        assert earlier[0].pronunciation == "kar-TEE-zhuh"
        lexicons = window.studio.lexicons
        await until(lambda: lexicons.entry_for("Cartesia") is not None)
        entry = lexicons.entry_for("Cartesia")
        assert entry is not None and entry.pronunciation == "kar-TEE-zhuh"
        path = lexicons.user.path
        assert path is not None
        await until(lambda: path.exists() and "kar-TEE-zhuh" in path.read_text("utf-8"))
        assert window.editor.toPlainText() == LINE
        await until(lambda: transport.take is not None and transport.take is not current
                    and any(e.text == "Cartesia" for e in transport.take.settings.lexicon))
        again = transport.take
        assert again is not None
        await until(lambda: again.status.value != "streaming")
        assert "Cartesia," in [w.text for w in again.words]  # the word as written
        await panel.aclose()

    run(loop, scenario())


def test_the_lexicon_entry_is_a_candidate_and_a_keeper_goes_to_the_chosen_lexicon(
        window: MainWindow, loop: qasync.QEventLoop, tmp_path: Path) -> None:
    brands = tmp_path / "brands.json"
    brands.write_text('[{"text": "Voicebooth", "pronunciation": "voys-booth"}]',
                      encoding="utf-8")

    async def scenario() -> None:
        lexicons = window.studio.lexicons
        await lexicons.add(Entry("Cartesia", "kar-TAY-zhuh"))
        await lexicons.add_file(brands)
        window.editor.setPlainText(LINE)
        select(window, START + 3, START + 3)
        window.editor.request_lab()
        panel = window.lab_panel
        assert panel is not None
        current = [c for c in panel.candidates if c.source == "lexicon"]
        assert [c.pronunciation for c in current] == ["kar-TAY-zhuh"]
        await until(lambda: any(c.source == "engine" for c in panel.candidates))
        panel.typed.setText("kar-TEE-zuh")
        panel.add_typed()
        panel.render_button.click()
        lab = panel.lab
        assert lab is not None
        await until(lambda: lab.finished)
        index = [c.pronunciation for c in panel.candidates].index("kar-TEE-zuh")
        selection = panel.table.selectionModel()
        selection.select(panel.table.model().index(index, 0),
                         selection.SelectionFlag.ClearAndSelect
                         | selection.SelectionFlag.Rows)
        assert [panel.keep_in.itemData(i) for i in range(panel.keep_in.count())] == [
            lexicons.user.name, "brands.json"]
        panel.keep_in.setCurrentIndex(1)
        panel.keep_all_button.click()
        # Written back to the file, in its own format; the user lexicon is left alone.
        await until(lambda: "kar-TEE-zuh" in brands.read_text("utf-8"))
        kept = json.loads(brands.read_text("utf-8"))
        assert {"text": "Cartesia", "pronunciation": "kar-TEE-zuh"} in kept
        assert lexicons.user.entries[0].pronunciation == "kar-TAY-zhuh"
        await panel.aclose()

    run(loop, scenario())
