"""The studio as the window uses it: a played take is kept, a stopped one too, a preview
never; shutting down finishes saving and stops everything."""

from __future__ import annotations

import asyncio
from pathlib import Path

from app.cartesia.voices_types import Voice
from app.engine.local import LocalEngine
from app.engine.server import ServerConfig
from app.engine.synth.tones import VOICE_ID, ToneSynthesizer
from app.settings import OUTPUT_DEVICE, Settings
from app.studio.draft import Draft
from app.studio.options import RunOptions
from app.studio.studio import Studio
from app.takes.history import History
from app.takes.take import TakeStatus
from tests.studio.conftest import run, until

VOICE = Voice(id=VOICE_ID, name="Test Tones", offline=True)


def studio(tmp_path: Path, pace: float = 0.0) -> Studio:
    settings = Settings(None)
    settings.set(OUTPUT_DEVICE, "no-such-device-anywhere")  # the takes matter here
    return Studio(settings, RunOptions(offline=True), History(tmp_path / "history"),
                  engine=LocalEngine(ServerConfig(pace=pace), [ToneSynthesizer()]))



def test_takes_are_kept_previews_are_not(tmp_path: Path) -> None:
    async def scenario() -> None:
        s = studio(tmp_path)
        try:
            recording = s.play(Draft(text="Keep this one."), VOICE)
            await recording.wait()
            await until(lambda: len(s.history.records) == 1)
            s.preview(VOICE, Draft())
            preview = s.recorder.current
            assert preview is not None and not preview.keep
            await preview.wait()
            await asyncio.sleep(0.2)
            assert [r.id for r in s.history.records] == [recording.take.id]
            stored = await s.history.load(recording.take.id)
            assert stored.phonemes == recording.take.phonemes and stored.phonemes
        finally:
            await s.shutdown()

    run(scenario())


def test_shutdown_keeps_the_take_it_stopped(tmp_path: Path) -> None:
    async def scenario() -> str:
        s = studio(tmp_path, pace=1.0)  # still streaming when the app closes
        recording = s.play(Draft(text=" ".join(["long"] * 100)), VOICE)
        await until(lambda: recording.take.n_frames > 0)
        await s.shutdown()
        assert recording.take.status is TakeStatus.CANCELLED
        return recording.take.id

    take_id = run(scenario())
    history = History(tmp_path / "history")
    try:
        (record,) = history.list()
        assert record.id == take_id and record.status is TakeStatus.CANCELLED
    finally:
        history.close()


def test_a_take_kept_before_loudness_is_measured_when_first_played(tmp_path: Path) -> None:
    import numpy as np

    from app.takes.take import Take, TakeSettings

    old = Take(TakeSettings(text="Kept last year.", voice_id=VOICE_ID, sample_rate=16000))
    old.append_audio((0.5 * np.sin(np.arange(16000) / 4)).astype(np.float32))
    old.finish(TakeStatus.DONE)
    history = History(tmp_path / "history")
    history.save(old)  # as version 1 kept it: no loudness
    history.close()

    async def scenario() -> None:
        s = studio(tmp_path)
        try:
            await s.history.refresh()
            assert s.history.records[0].loudness is None
            s.transport.play_take(await s.history.load(old.id))
            await until(lambda: s.transport.take is not None
                        and s.transport.take.loudness is not None)
            for _ in range(100):  # stored by a background task: look until it is
                await s.history.refresh()
                if s.history.records[0].loudness is not None:
                    break
                await asyncio.sleep(0.05)
            assert s.history.records[0].loudness == s.transport.take.loudness
        finally:
            await s.shutdown()

    run(scenario())
