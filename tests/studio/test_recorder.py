"""The recorder against a real loopback server: takes, one running generation, failures."""

from __future__ import annotations

import numpy as np
import pytest

from app.cartesia.errors import ServerError
from app.cartesia.voices_types import Voice
from app.engine.server import ThreadedServer
from app.engine.synth.tones import VOICE_ID
from app.markup import MarkupInvalid
from app.studio.errors import InvalidInput, Stopped
from app.studio.recorder import Recorder, RecordingFinished, RecordingStarted
from app.takes.take import Take, TakeSettings, TakeStatus
from tests.cartesia.expected import expected_audio, expected_words
from tests.studio.conftest import listening, online, run, until

VOICE = Voice(id=VOICE_ID, name="Test Tones")
TEXT = "One two three four."


def settings(text: str = TEXT, **kw: object) -> TakeSettings:
    return TakeSettings(text=text, voice_id=VOICE_ID, sample_rate=16000,  # type: ignore[arg-type]
                        encoding="pcm_f32le", **kw)


def test_a_take_holds_the_servers_audio_words_and_phonemes(server: ThreadedServer) -> None:
    async def scenario() -> None:
        endpoints = online(server)
        recorder = Recorder(endpoints)
        events: list[object] = []
        recorder.events.connect(events.append)
        try:
            take = await recorder.record(settings(), VOICE)
        finally:
            await endpoints.close()
        assert take.status is TakeStatus.DONE
        np.testing.assert_array_equal(take.samples, expected_audio(TEXT, 16000))
        assert [(w.text, w.start, w.end) for w in take.words] == expected_words(TEXT, 16000)
        assert len(take.phonemes) == sum(c.isalnum() for c in TEXT)
        assert take.time_to_first_audio is not None and take.time_to_first_audio > 0
        assert take.settings.base_url == server.url and not take.settings.offline
        assert [type(e) for e in events] == [RecordingStarted, RecordingFinished]

    run(scenario())


def test_a_second_recording_cancels_the_first_task_and_context(paced: ThreadedServer) -> None:
    async def scenario() -> None:
        endpoints = online(paced)
        recorder = Recorder(endpoints)
        try:
            first = recorder.start(settings(" ".join(["long"] * 40)), VOICE)
            await until(lambda: first.take.n_frames > 0)
            second = recorder.start(settings("Short."), VOICE)
            with pytest.raises(Stopped):
                await first.wait()
            heard = first.take.n_frames
            await second.wait()
        finally:
            await endpoints.close()
        assert first.take.status is TakeStatus.CANCELLED and first.done
        assert second.take.status is TakeStatus.DONE
        assert first.take.n_frames == heard  # nothing more arrived for it
        # The server was told: it stops generating (and billing) for the first context.
        assert listening(paced).cancels() == [first.context_id]

    run(scenario())


def test_a_failure_keeps_the_audio_that_arrived(server: ThreadedServer) -> None:
    listening(server).faults.error_after_chunks = 3

    async def scenario() -> None:
        endpoints = online(server)
        recorder = Recorder(endpoints)
        try:
            recording = recorder.start(settings(" ".join(["word"] * 30)), VOICE)
            with pytest.raises(ServerError, match="injected error"):
                await recording.wait()
        finally:
            await endpoints.close()
        take = recording.take
        assert take.status is TakeStatus.FAILED
        assert take.n_frames == 3 * 16000 * 40 // 1000
        assert take.error is not None and "are kept" in take.error

    run(scenario())


@pytest.mark.parametrize(("change", "error", "said"), [
    ({"model_id": "sonic-9"}, InvalidInput, "unknown model 'sonic-9'"),
    ({"language": "xx"}, InvalidInput, "does not speak 'xx'"),
    ({"speed": 2.5}, InvalidInput, "speed 2.5 is outside"),
    ({"text": "  "}, InvalidInput, "nothing to say"),
    ({"text": "Hi <brek/>"}, MarkupInvalid, "unknown tag <brek>"),
])
def test_bad_settings_are_refused_before_anything_is_sent(
        server: ThreadedServer, change: dict[str, object], error: type[Exception],
        said: str) -> None:
    async def scenario() -> None:
        endpoints = online(server)
        try:
            with pytest.raises(error, match=said):
                Recorder(endpoints).start(settings(**change), VOICE)  # type: ignore[arg-type]
        finally:
            await endpoints.close()

    run(scenario())
    assert listening(server).frames == []


def test_a_long_text_is_recorded_as_several_contexts_into_one_take(
        server: ThreadedServer) -> None:
    text = " ".join(f"Line {i} of a long text." for i in range(40))

    async def scenario() -> Take:
        endpoints = online(server)
        try:
            return await Recorder(endpoints, piece_chars=200).record(settings(text), VOICE)
        finally:
            await endpoints.close()

    take = run(scenario())
    requests = [f for f in listening(server).frames if "transcript" in f]
    assert len(requests) >= 2 and "".join(f["transcript"] for f in requests) == text
    assert len({f["context_id"] for f in requests}) == len(requests)
    # One take: the audio of the pieces in order, timings on one clock.
    np.testing.assert_array_equal(take.samples, expected_audio(text, 16000))
    assert [(w.text, round(w.start, 6), round(w.end, 6)) for w in take.words] == [
        (w, round(a, 6), round(b, 6)) for w, a, b in expected_words(text, 16000)]
