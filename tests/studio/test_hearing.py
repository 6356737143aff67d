"""Hear this word and the "Use lexicons" switch, against a real loopback server that
keeps what it received: the word and its sentence both go with the lexicon's
pronunciation, rendered at once, joined and played, never kept; the switch off sends the
text as written."""

from __future__ import annotations

import asyncio
from pathlib import Path

from app.cartesia.voices_types import Voice
from app.engine.server import ThreadedServer
from app.engine.synth.tones import VOICE_ID
from app.markup.lexicon import Entry
from app.settings import OUTPUT_DEVICE, USE_LEXICONS, Settings
from app.studio.draft import Draft
from app.studio.hearing import GAP_SECONDS
from app.studio.lab import word_in_line
from app.studio.lexicons import USER, Lexicons
from app.studio.options import RunOptions
from app.studio.studio import Studio
from app.takes.history import History
from tests.studio.conftest import KEY, listening, run, until

VOICE = Voice(id=VOICE_ID, name="Test Tones")
ENTRY = Entry("Cartesia", "kar tee zha")
LINE = "Welcome. Try Cartesia, the fastest voices! Goodbye."


def make_studio(server: ThreadedServer, tmp_path: Path) -> Studio:
    settings = Settings(tmp_path / "settings.json")
    settings.set(OUTPUT_DEVICE, "no-such-device-anywhere")  # the takes matter here
    return Studio(settings, RunOptions(api_key=KEY, base_url=server.url),
                  History(tmp_path / "history"), lexicons=Lexicons(tmp_path / "data"))


def sent(server: ThreadedServer) -> list[str]:
    return [f["transcript"] for f in listening(server).frames if "transcript" in f]


def test_hear_this_word_says_the_word_then_its_sentence_with_the_lexicon(
        server: ThreadedServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        studio = make_studio(server, tmp_path)
        try:
            await studio.lexicons.add(ENTRY)
            start = LINE.index("Cartesia")
            word = word_in_line(LINE, start, start + len("Cartesia"))
            heard = await studio.hear_word(Draft(text=LINE, sample_rate=16000), VOICE, word)
            # Both with the entry's pronunciation, in flight together (two contexts).
            assert sorted(sent(server)) == sorted(
                ["kar tee zha", "Try kar tee zha, the fastest voices!"])
            contexts = {f["context_id"] for f in listening(server).frames if "transcript" in f}
            assert len(contexts) == 2
            # Shown as written, and joined: the word, a pause, the sentence.
            assert [w.text for w in heard.alone.words] == ["Cartesia"]
            assert [w.text for w in heard.sentence.words] == [
                "Try", "Cartesia,", "the", "fastest", "voices!"]
            joined = heard.joined
            assert [w.text for w in joined.words] == ["Cartesia", "Try", "Cartesia,", "the",
                                                      "fastest", "voices!"]
            gap = heard.alone.duration + GAP_SECONDS
            assert abs(joined.duration - (gap + heard.sentence.duration)) < 1e-3
            assert joined.words[1].start >= gap - 1e-3
            assert joined.settings.lexicon == (Entry("Cartesia", "kar tee zha", source=USER),)
            # It is what the transport plays, and nothing went to the history.
            assert studio.transport.take is joined
            await asyncio.sleep(0.2)  # a take being saved would be written by now
            assert studio.history.store is not None and studio.history.store.list() == []
        finally:
            await studio.shutdown()
    run(scenario())


def test_a_second_request_stops_the_first(server: ThreadedServer, tmp_path: Path) -> None:
    async def scenario() -> None:
        studio = make_studio(server, tmp_path)
        try:
            first = studio.hear_word(Draft(text=LINE), VOICE, word_in_line(LINE, 0, 7))
            second = studio.hear_word(Draft(text=LINE), VOICE, word_in_line(LINE, 9, 12))
            heard = await second
            await until(first.done)
            assert first.cancelled()
            assert [w.text for w in heard.alone.words] == ["Try"]
        finally:
            await studio.shutdown()
    run(scenario())


def test_the_switch_off_sends_the_text_as_written(server: ThreadedServer,
                                                  tmp_path: Path) -> None:
    async def scenario() -> None:
        studio = make_studio(server, tmp_path)
        try:
            await studio.lexicons.add(ENTRY)
            draft = Draft(text="Try Cartesia.", sample_rate=16000)
            on = await studio.play(draft, VOICE).wait()
            assert sent(server) == ["Try kar tee zha."]
            assert on.settings.lexicon == (Entry("Cartesia", "kar tee zha", source=USER),)
            plain = await studio.play(draft, VOICE, lexicons=False).wait()
            assert sent(server)[-1] == "Try Cartesia."
            assert plain.settings.lexicon == ()
            # The switch, persisted as a setting, does the same for every Play.
            studio.set_use_lexicons(False)
            assert studio.settings.get(USE_LEXICONS) is False
            off = await studio.play(draft, VOICE).wait()
            assert sent(server)[-1] == "Try Cartesia." and off.settings.lexicon == ()
            # The two ways of the line say the same written text: they can be A/B'd.
            studio.transport.start_ab(on, plain)
            assert studio.transport.ab is not None
        finally:
            await studio.shutdown()
    run(scenario())
