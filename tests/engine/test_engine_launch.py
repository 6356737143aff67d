"""The engine's launch: it listens, and lists its voices from the table, before it imports
Piper, onnxruntime or espeak-ng; a generation that comes before they are loaded waits
for them; the table is what the synthesizers say once loaded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import urllib.request
from dataclasses import replace
from pathlib import Path

from app.cartesia.voices_types import Voice
from app.credentials import without_key
from app.engine.local import SERVE_ARGS, TRACE_ENV, engine_command
from app.engine.synth.base import AudioOut, SynthEvent, SynthRequest
from app.engine.synth.registry import DeferredSynthesizers, default_synthesizers
from app.engine.voice_table import VOICES, table_voices

ROOT = Path(__file__).resolve().parents[2]
KEY = "launch-test-key"
VERSION = "2025-04-16"
HEAVY = ("piper", "onnxruntime", "espeakng_loader", "app.engine.synth.piper_voice",
         "app.engine.synth.espeak")


def request(url: str, path: str, body: dict[str, object] | None = None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, headers={
        "Authorization": f"Bearer {KEY}", "Cartesia-Version": VERSION,
        "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as answer:
        return int(answer.status), answer.read()


def test_the_table_is_what_each_synthesizer_says() -> None:
    synths = default_synthesizers()
    assert [s.name for s in synths] == list(VOICES)  # every engine loads here
    for synth in synths:
        assert tuple(synth.voices()) == VOICES[synth.name], synth.name


def test_a_synthesis_waits_until_the_synthesizers_are_made() -> None:
    """Stand-ins list the table's voices at once; a synthesis through one waits (on its
    worker thread) for :meth:`DeferredSynthesizers.load`, then speaks."""
    deferred = DeferredSynthesizers()
    assert [s.name for s in deferred.synthesizers] == list(VOICES)
    assert [v for s in deferred.synthesizers for v in s.voices()] == table_voices()
    tones = deferred.synthesizers[-1]
    events: list[SynthEvent] = []
    failed: list[BaseException] = []

    def speak() -> None:
        try:
            events.extend(tones.synthesize(SynthRequest("Two words.", VOICES["tones"][0].id,
                                                        16000)))
        except BaseException as exc:  # shown by the assertion below
            failed.append(exc)

    worker = threading.Thread(target=speak)
    worker.start()
    worker.join(0.2)
    # Nothing has made the synthesizers yet: the synthesis can only be waiting.
    assert worker.is_alive() and not failed and not deferred.ready
    deferred.load()
    worker.join(30)
    assert not failed and deferred.ready
    assert sum(len(e.samples) for e in events if isinstance(e, AudioOut)) > 0


def test_listing_offline_voices_imports_no_synthesizer() -> None:
    """What the window does to list them: no server, no synthesizer module, no aiohttp."""
    code = ("import sys\n"
            "from app.engine.local import offline_voices\n"
            "ids = [v.id for v in offline_voices()]\n"
            f"print(len(ids), [m for m in {(*HEAVY, 'aiohttp', 'app.engine.server')!r} "
            "if m in sys.modules])\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=60, check=True)
    assert done.stdout.split(" ", 1) == [str(len(table_voices())), "[]\n"]


def test_the_child_listens_first_and_a_generation_waits_for_the_synthesizers() -> None:
    """The app's own command line (``--preload`` included). The child says, on standard
    error, which of Piper, onnxruntime and espeak-ng it had imported when it printed its
    URL; ``/voices`` then answers from the table, and a generation sent at once is
    answered with audio once the synthesizers are made."""
    env = without_key(os.environ) | {TRACE_ENV: "1", "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(engine_command(SERVE_ARGS), stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=env, cwd=ROOT)
    assert child.stdin is not None and child.stdout is not None and child.stderr is not None
    try:
        child.stdin.write(KEY + "\n")
        child.stdin.close()
        first = child.stdout.readline()
        assert "listening on http://127.0.0.1:" in first
        url = first.split("listening on ", 1)[1].strip()
        traces = []
        while not traces or "engine-listening" not in traces[-1]:
            line = child.stderr.readline()
            assert line, "the child ended without saying it listens"
            if line.startswith("voicebooth-trace: "):
                traces.append(line)
        assert "engine-listening imported=none " in traces[-1]

        status, body = request(url, "/voices?limit=100")
        listed = [replace(Voice.from_json(item), offline=True)
                  for item in json.loads(body)["data"]]
        assert status == 200 and listed == table_voices()

        status, audio = request(url, "/tts/bytes", {
            "model_id": "sonic-3", "transcript": "Waits for the engine.",
            "voice": {"mode": "id", "id": VOICES["tones"][0].id},
            "output_format": {"container": "wav", "encoding": "pcm_s16le",
                              "sample_rate": 16000}})
        assert status == 200 and audio[:4] == b"RIFF" and len(audio) > 16000

        # The models (--preload) load after the URL, and only then.
        while "engine-models-loaded" not in traces[-1]:
            line = child.stderr.readline()
            assert line, "the child ended before its models loaded"
            if line.startswith("voicebooth-trace: "):
                traces.append(line)
        assert [t.split()[1] for t in traces] == ["engine-listening", "engine-models-loaded"]
    finally:
        child.terminate()
        child.wait(timeout=30)
        child.stdout.close()
        child.stderr.close()
