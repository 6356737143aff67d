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
