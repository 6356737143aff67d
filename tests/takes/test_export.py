"""Finished exports on real files: every format read back, the raw path exact, trim,
fades, resampling, timings that follow the trim, and errors that leave nothing behind."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile

from app.audio.wav import encode_wav
from app.takes.errors import ExportError
from app.takes.export import ExportSpec, export_take
from app.takes.take import Take, TakeSettings
from app.takes.timings import Timing

RATE = 44100


def tone(seconds: float, rate: int = RATE, level: float = 0.5, hz: float = 440.0
         ) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (level * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def padded_take(rate: int = RATE, encoding: str = "pcm_f32le") -> Take:
    """0.5 s of silence, 1 s of tone (two "words"), 0.5 s of silence."""
    samples = np.concatenate([np.zeros(rate // 2, np.float32), tone(1.0, rate),
                              np.zeros(rate // 2, np.float32)])
    return Take.from_audio(
        TakeSettings(text="Hello there.", voice_id="v", voice_name="Joe", sample_rate=rate,
                     encoding=encoding),
        samples, words=[Timing("Hello", 0.5, 1.0), Timing("there.", 1.0, 1.5)],
        phonemes=[Timing("h", 0.5, 0.6)])


def test_a_default_wav_is_the_samples_exactly(tmp_path: Path) -> None:
    take = padded_take()
    result = export_take(take, tmp_path / "a.wav", ExportSpec(wav_subtype="float32"))
    assert result.files == [tmp_path / "a.wav"]
    assert (tmp_path / "a.wav").read_bytes() == encode_wav(take.samples, RATE, "float32")
    # A 16-bit source is exact at 16 bits too (nothing to dither).
    ints = np.arange(-3000, 3000, dtype=np.int16)
    s16 = Take.from_audio(TakeSettings(text="x", voice_id="v", encoding="pcm_s16le",
                                       sample_rate=RATE), ints / 32768.0)
    export_take(s16, tmp_path / "b.wav")
    assert (tmp_path / "b.wav").read_bytes() == encode_wav(ints / 32768.0, RATE, "pcm16",
                                                            dither=False)
    assert result.before == result.after and result.before is not None


@pytest.mark.parametrize(("spec", "subtype", "fmt", "rate"), [
    (ExportSpec(wav_subtype="pcm24"), "PCM_24", "WAV", RATE),
    (ExportSpec(wav_subtype="ulaw", sample_rate=8000), "ULAW", "WAV", 8000),
    (ExportSpec(wav_subtype="alaw", sample_rate=8000), "ALAW", "WAV", 8000),
    (ExportSpec(wav_subtype="float32", channels=2), "FLOAT", "WAV", RATE),
    (ExportSpec(format="flac", wav_subtype="pcm16"), "PCM_16", "FLAC", RATE),
    (ExportSpec(format="flac", wav_subtype="pcm24", sample_rate=48000), "PCM_24", "FLAC",
     48000),
    (ExportSpec(format="mp3", channels=2), "MPEG_LAYER_III", "MP3", RATE),
    (ExportSpec(format="opus", sample_rate=48000), "OPUS", "OGG", 48000),
])
def test_every_format_reads_back(tmp_path: Path, spec: ExportSpec, subtype: str, fmt: str,
                                 rate: int) -> None:
    take = padded_take()
    result = export_take(take, tmp_path / f"clip{spec.extension}", spec)
    info = soundfile.info(str(result.files[0]))
    assert (info.format, info.subtype, info.samplerate, info.channels) == (
        fmt, subtype, rate, spec.channels)
    data, _ = soundfile.read(str(result.files[0]), always_2d=True)
    # Lossy codecs pad: MP3 by up to two frames of 1152, Opus by its 80 ms pre-skip.
    slack = {"MP3": 2 * 1152 + 529, "OGG": round(0.08 * rate)}.get(fmt, 1)
    assert abs(len(data) - take.duration * rate) <= slack
    assert result.sample_rate == rate and result.after is not None


def test_opus_at_a_rate_it_cannot_encode_is_resampled_and_says_so(tmp_path: Path) -> None:
    result = export_take(padded_take(), tmp_path / "a.opus", ExportSpec(format="opus"))
    assert soundfile.info(str(result.files[0])).samplerate == 48000
    assert result.notes == ["Opus encodes 8, 12, 16, 24 or 48 kHz: resampled from 44.1 to "
                            "48 kHz"]


def test_trim_keeps_the_padding_and_moves_the_timings(tmp_path: Path) -> None:
    spec = ExportSpec(wav_subtype="float32", trim=True, pad_ms=100,
                      timings=frozenset({"json", "srt", "vtt"}))
    result = export_take(padded_take(), tmp_path / "t.wav", spec)
    assert [f.name for f in result.files] == ["t.wav", "t.json", "t.srt", "t.vtt"]
    data, _ = soundfile.read(str(result.files[0]))
    # The tone's first and last samples are zero crossings (silent): a sample or two more.
    assert abs(len(data) - round(1.2 * RATE)) <= 3
    assert np.all(data[: round(0.099 * RATE)] == 0) and np.any(data[round(0.101 * RATE):])
    words = json.loads(result.files[1].read_text())["words"]
    assert [(w["text"], round(w["start"], 3), round(w["end"], 3)) for w in words] == [
        ("Hello", 0.1, 0.6), ("there.", 0.6, 1.1)]
    assert "00:00:00,100 --> 00:00:01,100\nHello there." in result.files[2].read_text()
    assert result.files[3].read_text().startswith(
        "WEBVTT\n\n1\n00:00:00.100 --> 00:00:01.100\nHello there.\n")


def test_fades_are_equal_power(tmp_path: Path) -> None:
    take = Take.from_audio(TakeSettings(text="x", voice_id="v", sample_rate=RATE),
                           np.full(RATE, 0.5, np.float32))
    spec = ExportSpec(wav_subtype="float32", fade_in_ms=100, fade_out_ms=200)
    data, _ = soundfile.read(str(export_take(take, tmp_path / "f.wav", spec).files[0]))
    n_in, n_out = round(0.1 * RATE), round(0.2 * RATE)
    assert data[0] < 0.001 and data[-1] < 0.001
    # Halfway through, an equal-power fade is at sin(45°) = −3 dB, not a linear −6 dB.
    assert data[n_in // 2] == pytest.approx(0.5 * np.sqrt(0.5), abs=1e-3)
    assert data[len(data) - n_out // 2] == pytest.approx(0.5 * np.sqrt(0.5), abs=1e-3)
    assert np.all(data[n_in:len(data) - n_out] == 0.5)


def test_resampling_keeps_the_duration_and_the_pitch(tmp_path: Path) -> None:
    take = Take.from_audio(TakeSettings(text="x", voice_id="v", sample_rate=RATE),
                           tone(2.0, hz=1000.0), words=[Timing("x", 0.0, 2.0)])
    result = export_take(take, tmp_path / "r.wav",
                         ExportSpec(wav_subtype="float32", sample_rate=48000,
                                    timings=frozenset({"json"})))
    data, rate = soundfile.read(str(result.files[0]))
    assert rate == 48000 and len(data) == 96000 and result.duration == 2.0
    spectrum = np.abs(np.fft.rfft(data[4800:-4800]))
    assert np.argmax(spectrum) * 48000 / len(data[4800:-4800]) == pytest.approx(1000, abs=2)
    assert json.loads(result.files[1].read_text())["words"][0]["end"] == 2.0


def test_a_selection_is_cut_before_the_trim(tmp_path: Path) -> None:
    result = export_take(padded_take(), tmp_path / "s.wav",
                         ExportSpec(wav_subtype="float32", trim=True, pad_ms=0,
                                    timings=frozenset({"json"})), selection=(0.0, 1.0))
    data, _ = soundfile.read(str(result.files[0]))
    assert abs(len(data) - RATE // 2) <= 2
    words = json.loads(result.files[1].read_text())["words"]
    assert [w["text"] for w in words] == ["Hello"]


def test_16_bit_from_float_is_dithered(tmp_path: Path) -> None:
    quiet = Take.from_audio(TakeSettings(text="x", voice_id="v", sample_rate=RATE),
                            tone(1.0, level=1.0 / 32768))  # one LSB: rounding alone buzzes
    spec = ExportSpec(format="flac", fade_in_ms=1)
    data, _ = soundfile.read(str(export_take(quiet, tmp_path / "d.flac", spec).files[0]),
                             dtype="int16")
    # Dithered: many levels, noise everywhere; undithered it would be a -1/0/1 square.
    assert len(np.unique(data)) > 3


@pytest.mark.parametrize(("spec", "message"), [
    (ExportSpec(format="flac", wav_subtype="float32"), "FLAC stores 16- or 24-bit"),
    (ExportSpec(channels=3), "mono .1. or stereo .2."),
    (ExportSpec(normalize_lufs=16), "targets are negative"),
    (ExportSpec(format="mp3", sample_rate=96000), "MP3 cannot store 96000 Hz"),
    (ExportSpec(fade_in_ms=-1), "fade_in_ms must be zero or more"),
])
def test_specs_that_cannot_work_are_refused(tmp_path: Path, spec: ExportSpec,
                                            message: str) -> None:
    with pytest.raises(ExportError, match=message):
        export_take(padded_take(), tmp_path / f"x{spec.extension}", spec)
    assert list(tmp_path.iterdir()) == []


def test_a_name_that_contradicts_the_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"x.wav ends in .wav but the format is FLAC; "
                                          r"name it x.flac"):
        export_take(padded_take(), tmp_path / "x.wav", ExportSpec(format="flac"))
    # No extension: the format's is added.
    result = export_take(padded_take(), tmp_path / "x", ExportSpec(format="flac"))
    assert result.files == [tmp_path / "x.flac"]


def test_an_existing_file_is_kept_unless_overwriting(tmp_path: Path) -> None:
    (tmp_path / "a.flac").write_bytes(b"old")
    with pytest.raises(ExportError, match="already exists"):
        export_take(padded_take(), tmp_path / "a.flac", ExportSpec(format="flac"))
    assert (tmp_path / "a.flac").read_bytes() == b"old"
    export_take(padded_take(), tmp_path / "a.flac", ExportSpec(format="flac"), overwrite=True)
    assert soundfile.info(str(tmp_path / "a.flac")).format == "FLAC"


def test_a_full_disk_names_the_file_and_leaves_nothing(tiny_disk: Path) -> None:
    take = Take.from_audio(TakeSettings(text="x", voice_id="v", sample_rate=RATE),
                           tone(3.0))
    with pytest.raises(ExportError, match=r"cannot write .*big.flac: the disk is full"):
        export_take(take, tiny_disk / "big.flac", ExportSpec(format="flac",
                                                              wav_subtype="pcm24"))
    assert list(tiny_disk.iterdir()) == []


def test_a_read_only_folder_is_named(read_only: Path) -> None:
    with pytest.raises(ExportError, match=r"a.mp3: the folder is on a read-only file system"):
        export_take(padded_take(), read_only / "a.mp3", ExportSpec(format="mp3"))


def test_spec_json_round_trip_and_bad_data() -> None:
    spec = ExportSpec(format="flac", wav_subtype="pcm24", sample_rate=48000, channels=2,
                      normalize_lufs=-16.0, true_peak_db=-1.5, trim=True, pad_ms=50,
                      fade_in_ms=5, fade_out_ms=20, timings=frozenset({"srt", "json"}))
    data = json.loads(json.dumps(spec.to_json()))
    assert data["timings"] == ["json", "srt"]
    assert ExportSpec.from_json(data) == spec
    assert ExportSpec.from_json({}) == ExportSpec()
    for bad, message in [([], "a JSON object"), ({"colour": 1}, "unknown export setting "
                                                                 "colour"),
                         ({"sample_rate": "fast"}, "sample_rate must be a whole number"),
                         ({"format": "aiff"}, "unknown export format 'aiff'"),
                         ({"trim": 1}, "trim must be true or false"),
                         ({"timings": ["txt"]}, "unknown timings txt")]:
        with pytest.raises(ExportError, match=message):
            ExportSpec.from_json(bad)
