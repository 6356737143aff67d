"""The batch manifest: what makes a line's files current, and a manifest that survives
hand edits, foreign files and a newer version."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from app.markup.lexicon import Entry
from app.studio.manifest import MANIFEST_NAME, Manifest, ManifestEntry, ManifestError, batch_key
from app.takes.take import TakeSettings

SETTINGS = TakeSettings(text="Welcome back.", voice_id="v1", voice_name="Ana")
EXPORT: dict[str, object] = {"format": "flac", "normalize_lufs": -16.0}


def key(settings: TakeSettings = SETTINGS, export: dict[str, object] = EXPORT,
        name: str = "001_greeting") -> str:
    return batch_key(settings, export, name)


@pytest.mark.parametrize("change", [
    {"text": "Welcome back!"}, {"voice_id": "v2"}, {"model_id": "sonic-2"},
    {"language": "fr"}, {"speed": 1.1}, {"volume": 0.8}, {"emotion": "happy"},
    {"sample_rate": 48000}, {"encoding": "pcm_s16le"}, {"pronunciation_dict_id": "d1"},
    {"lexicon": (Entry("Ana", "AH-na"),)},
])
def test_every_setting_that_changes_the_audio_changes_the_key(change: dict[str, object]
                                                              ) -> None:
    assert key(replace(SETTINGS, **change)) != key()  # type: ignore[arg-type]


def test_the_export_and_the_name_change_the_key_and_display_names_do_not() -> None:
    assert key(export={**EXPORT, "normalize_lufs": -23.0}) != key()
    assert key(name="greeting") != key()
    # A chosen take exported as it is: another take (a retake spliced in) is another key.
    assert batch_key(SETTINGS, EXPORT, "n", take_id="t1") != batch_key(SETTINGS, EXPORT, "n")
    assert batch_key(SETTINGS, EXPORT, "n", take_id="t1") != \
        batch_key(SETTINGS, EXPORT, "n", take_id="t2")
    assert key(replace(SETTINGS, voice_name="Ana (warm)", base_url="http://x")) == key()
    sourced = replace(SETTINGS, lexicon=(Entry("Ana", "AH-na", source="a.pls"),))
    assert key(sourced) == key(replace(sourced, lexicon=(Entry("Ana", "AH-na", source="b"),)))


def test_a_line_is_done_only_with_its_key_and_all_its_files(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path)
    (tmp_path / "001_greeting.flac").write_bytes(b"audio")
    (tmp_path / "001_greeting.json").write_text("{}")
    manifest.record("greeting", ManifestEntry(key(), ("001_greeting.flac",
                                                      "001_greeting.json"), lufs=-16.0))
    again = Manifest.load(tmp_path)
    assert again.is_done("greeting", key())
    assert again.entries["greeting"].lufs == -16.0
    assert not again.is_done("greeting", key(name="other"))
    assert not again.is_done("farewell", key())
    (tmp_path / "001_greeting.json").unlink()
    assert not again.is_done("greeting", key())


def test_files_of_an_earlier_name_are_reported_not_removed(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path)
    (tmp_path / "001_greeting.wav").write_bytes(b"old")
    manifest.record("greeting", ManifestEntry(key(), ("001_greeting.wav",)))
    new = tmp_path / "greeting.wav"
    assert manifest.stale_files("greeting", [new]) == [tmp_path / "001_greeting.wav"]
    assert manifest.stale_files("greeting", [tmp_path / "001_greeting.wav"]) == []
    assert (tmp_path / "001_greeting.wav").read_bytes() == b"old"


def test_the_manifest_is_written_atomically_as_json(tmp_path: Path) -> None:
    Manifest(tmp_path).record("a", ManifestEntry("k", ("a.wav",)))
    data = json.loads((tmp_path / MANIFEST_NAME).read_text())
    assert data["format"] == "voicebooth-batch" and data["version"] == 1
    assert data["lines"]["a"]["files"] == ["a.wav"]
    assert [p.name for p in tmp_path.iterdir()] == [MANIFEST_NAME]  # no temporary left


def test_a_hand_broken_entry_renders_that_line_again(tmp_path: Path) -> None:
    (tmp_path / MANIFEST_NAME).write_text(json.dumps({
        "format": "voicebooth-batch", "version": 1,
        "lines": {"a": {"key": "k", "files": ["a.wav"]}, "b": {"key": 3}, "c": "x"}}))
    assert list(Manifest.load(tmp_path).entries) == ["a"]


@pytest.mark.parametrize(("content", "message"), [
    ("not json", "is not a batch manifest"),
    ('{"some": "other file"}', 'no "format": "voicebooth-batch"'),
    ('{"format": "voicebooth-batch", "version": 9}', "written by a newer Voicebooth"),
])
def test_a_file_that_is_not_a_manifest_is_refused_and_kept(tmp_path: Path, content: str,
                                                           message: str) -> None:
    (tmp_path / MANIFEST_NAME).write_text(content)
    with pytest.raises(ManifestError, match=message):
        Manifest.load(tmp_path)
    assert (tmp_path / MANIFEST_NAME).read_text() == content


def test_no_manifest_is_an_empty_one(tmp_path: Path) -> None:
    assert Manifest.load(tmp_path / "new").entries == {}


def test_lines_recorded_from_many_threads_at_once_are_all_kept(tmp_path: Path) -> None:
    # Exports finish on the executor's threads at the same time: no record may be lost
    # to another thread's write of an older manifest.
    manifest = Manifest(tmp_path)
    start = threading.Barrier(8)
    problems: list[str] = []

    def record(worker: int) -> None:
        start.wait()
        for n in range(25):
            line_id = f"w{worker}-{n}"
            try:
                manifest.record(line_id, ManifestEntry("k", (f"{line_id}.wav",)))
                if line_id not in Manifest.load(tmp_path).entries:
                    problems.append(f"{line_id} lost")
            except Exception as exc:  # a thread cannot fail the test itself: say it
                problems.append(f"{line_id}: {exc!r}")

    threads = [threading.Thread(target=record, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert problems == []
    assert len(Manifest.load(tmp_path).entries) == 200
