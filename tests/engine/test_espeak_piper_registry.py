"""The registry of offline engines: what ships, the default voice, and an engine
that cannot load on this system being left out with its reason."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

from app.engine.synth.registry import DEFAULT_OFFLINE_VOICE_ID, default_synthesizers

ROOT = Path(__file__).resolve().parents[2]


def test_all_engines_load_here_and_joe_is_the_default() -> None:
    synths = default_synthesizers()
    assert [s.name for s in synths] == ["piper", "espeak", "tones"]
    voices = {s.name: s.voices() for s in synths}
    assert DEFAULT_OFFLINE_VOICE_ID in [v.id for v in voices["piper"]]
    every = [v for vs in voices.values() for v in vs]
    assert len({v.id for v in every}) == len(every)
    for name, engine_voices in voices.items():
        for voice in engine_voices:
            assert str(uuid.UUID(voice.id)) == voice.id
            assert voice.offline and voice.language and voice.locales
            if name != "tones":
                text = voice.description.lower()
                assert "offline" in text and name.replace("espeak", "espeak-ng") in text


def test_an_engine_that_cannot_load_is_left_out_with_its_reason() -> None:
    """A child process where the two engines' packages fail to import, as they would
    with a broken or missing wheel."""
    code = (
        "import logging, sys\n"
        "logging.basicConfig(level=logging.WARNING)\n"
        "class Broken:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name in ('espeakng_loader', 'onnxruntime'):\n"
        "            raise ImportError(f'{name} is broken here')\n"
        "sys.meta_path.insert(0, Broken())\n"
        "from app.engine.synth.registry import default_synthesizers\n"
        "print([s.name for s in default_synthesizers()])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=60, check=True)
    assert done.stdout.strip() == "['tones']"
    assert "no natural offline voice: onnxruntime is broken here" in done.stderr
    assert "no espeak-ng voices" in done.stderr and "espeakng_loader is broken" in done.stderr
