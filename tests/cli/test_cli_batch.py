"""``voicebooth batch SCRIPT -o DIR`` as a real subprocess against our loopback server
with a plan's context limit: the server sees the concurrency and every generation
request, so "a second run renders nothing" is observed where it happens."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyloudnorm
import pytest
import soundfile

from app.cartesia import messages as m
from app.cartesia.voices_types import Voice
from app.cli.batch import Display, progress_bar
from app.engine.server import Connection, ServerConfig, ThreadedServer
from app.engine.synth.tones import VOICE_ID, ToneSynthesizer
from app.studio.batch import LineFailed, PlannedLine, Progress
from app.studio.manifest import MANIFEST_NAME
from app.studio.project import save_project
from app.studio.script import Script, ScriptDefaults, ScriptLine
from app.takes.take import Take, TakeSettings, TakeStatus
from tests.cli.conftest import KEY, ROOT
from tests.cli.test_cli import cli
from tests.faults import FaultyServer

LIMIT = 3
LINES = 50


class CountingServer(FaultyServer):
    """Counts the generation requests that opened a context (refusals included)."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.generations: list[str] = []

    def admit(self, conn: Connection, request: m.GenerationRequest) -> m.InvalidRequest | None:
        self.generations.append(request.transcript)
        return super().admit(conn, request)


@pytest.fixture
def plan_server() -> Iterator[ThreadedServer]:
    """The tone voice behind a plan's three contexts, paced so that lines overlap."""
    srv = ThreadedServer([ToneSynthesizer()],
                         ServerConfig(api_key=KEY, pace=8.0, max_contexts=LIMIT),
                         server_class=CountingServer)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def real_time_server() -> Iterator[ThreadedServer]:
    """Audio at real time: a run of fifty lines one at a time takes long enough to stop."""
    srv = ThreadedServer([ToneSynthesizer()], ServerConfig(api_key=KEY, pace=1.0),
                         server_class=CountingServer)
    srv.start()
    yield srv
    srv.stop()


def counting(srv: ThreadedServer) -> CountingServer:
    assert isinstance(srv.server, CountingServer)
    return srv.server


def write_csv(path: Path, rows: Sequence[dict[str, str]]) -> Path:
    fields = list(dict.fromkeys(name for row in rows for name in row))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return path


def fifty_lines() -> list[dict[str, str]]:
    return [{"id": f"prompt{n:02d}", "text": f"Prompt {n}."} for n in range(1, LINES + 1)]


def batch(srv: ThreadedServer, tmp: Path, script: str, *extra: str
          ) -> subprocess.CompletedProcess[str]:
    return cli("batch", script, "-o", "out", "--base-url", srv.url, "--voice", VOICE_ID,
               *extra, cwd=tmp)


def manifest(tmp: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((tmp / "out" / MANIFEST_NAME).read_text())["lines"]
    return data


def test_fifty_lines_within_the_plan_then_nothing_then_only_the_changed_line(
        plan_server: ThreadedServer, tmp_path: Path) -> None:
    rows = fifty_lines()
    write_csv(tmp_path / "lines.csv", rows)
    server = counting(plan_server)
    # Two at once where the server would take three: the run holds its own bound.
    done = batch(plan_server, tmp_path, "lines.csv", "--concurrency", "2")
    assert done.returncode == 0, done.stderr
    assert plan_server.server.peak_contexts == 2  # never above, and more than one
    expected = {f"{n}_prompt{n:02d}" for n in range(1, LINES + 1)}
    out = tmp_path / "out"
    assert {p.stem for p in out.glob("*.wav")} == expected
    assert {p.stem for p in out.glob("*.json") if p.name != MANIFEST_NAME} == expected
    assert "50 rendered, 0 skipped (done already), 0 failed" in done.stderr
    assert "line 7 (prompt07) done: out/7_prompt07.wav" in done.stderr
    assert set(manifest(tmp_path)) == {row["id"] for row in rows}
    assert {text for text in server.generations} == {row["text"] for row in rows}

    asked = len(server.generations)
    again = batch(plan_server, tmp_path, "lines.csv", "--concurrency", "5")
    assert again.returncode == 0, again.stderr
    assert len(server.generations) == asked  # the server saw no generation at all
    assert "0 rendered, 50 skipped (done already), 0 failed" in again.stderr

    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    rows[6]["text"] = "Prompt seven, said again."
    write_csv(tmp_path / "lines.csv", rows)
    third = batch(plan_server, tmp_path, "lines.csv", "--concurrency", "5")
    assert third.returncode == 0, third.stderr
    assert server.generations[asked:] == ["Prompt seven, said again."]
    changed = {p.name for p in out.iterdir() if p.stat().st_mtime_ns != before.get(p.name)}
    assert changed == {"7_prompt07.wav", "7_prompt07.json", MANIFEST_NAME}
    assert "1 rendered, 49 skipped" in third.stderr


def test_a_failing_line_fails_alone_and_is_named_in_the_summary(
        plan_server: ThreadedServer, tmp_path: Path) -> None:
    rows = [{"id": "hello", "text": "Hello there.", "voice": ""},
            {"id": "bad", "text": "Nobody speaks this.", "voice": "no-such-voice"},
            *({"id": f"more{n}", "text": f"And {n} more.", "voice": ""} for n in range(4))]
    write_csv(tmp_path / "lines.csv", rows)
    # Five at once where the plan allows three: the refusals are absorbed by backing
    # off, and only the bad line fails.
    done = batch(plan_server, tmp_path, "lines.csv", "--concurrency", "5")
    assert done.returncode == 4, done.stderr
    assert plan_server.server.peak_contexts == LIMIT
    assert sorted(p.name for p in (tmp_path / "out").glob("*.wav")) == \
        ["1_hello.wav", "3_more0.wav", "4_more1.wav", "5_more2.wav", "6_more3.wav"]
    assert "5 rendered, 0 skipped (done already), 1 failed" in done.stderr
    summary = done.stderr[done.stderr.index("failed:"):]
    assert "line 2 (bad): " in summary and "Voice not found" in summary
    # The failed line is not in the manifest: the next run tries it again.
    assert set(manifest(tmp_path)) == {row["id"] for row in rows} - {"bad"}


def test_a_lexicon_is_said_and_a_changed_entry_renders_only_the_line_that_says_it(
        plan_server: ThreadedServer, tmp_path: Path) -> None:
    """Pronunciations tuned in the window (the user lexicon) or given as files reach a
    batch as they reach say; the manifest keys a line by the entries it says."""
    write_csv(tmp_path / "lines.csv", [{"id": "brand", "text": "Try Cartesia today."},
                                       {"id": "plain", "text": "Nothing to tune here."}])
    words = tmp_path / "words.csv"
    words.write_text("text,pronunciation\nCartesia,car tee zha\nVoicebooth,voice booth\n")
    server = counting(plan_server)
    first = batch(plan_server, tmp_path, "lines.csv", "--lexicon", "words.csv")
    assert first.returncode == 0, first.stderr
    assert sorted(server.generations) == ["Nothing to tune here.", "Try car tee zha today."]
    # The timings keep the word as written.
    timed = json.loads((tmp_path / "out" / "1_brand.json").read_text())["words"]
    assert "Cartesia" in [w["text"] for w in timed]
    # Another word of the lexicon changes: nothing says it, nothing is rendered.
    words.write_text("text,pronunciation\nCartesia,car tee zha\nVoicebooth,voys booth\n")
    assert batch(plan_server, tmp_path, "lines.csv", "--lexicon", "words.csv").returncode == 0
    assert len(server.generations) == 2
    # The word line 1 says changes: line 1 alone is rendered again.
    words.write_text("text,pronunciation\nCartesia,car tay zha\nVoicebooth,voys booth\n")
    again = batch(plan_server, tmp_path, "lines.csv", "--lexicon", "words.csv")
    assert again.returncode == 0, again.stderr
    assert server.generations[2:] == ["Try car tay zha today."]


def test_a_bad_script_exits_2_with_its_line_and_column_and_renders_nothing(
        plan_server: ThreadedServer, tmp_path: Path) -> None:
    (tmp_path / "lines.csv").write_text('id,text\nok,"Fine."\nbroken,"Unclosed quote\n',
                                        encoding="utf-8")
    done = batch(plan_server, tmp_path, "lines.csv")
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: lines.csv:3:")
    assert counting(plan_server).generations == []
    assert not (tmp_path / "out").exists()


def test_dry_run_lists_what_would_be_rendered_and_what_is_done(
        plan_server: ThreadedServer, tmp_path: Path) -> None:
    rows = fifty_lines()[:3]
    write_csv(tmp_path / "lines.csv", rows[:2])
    assert batch(plan_server, tmp_path, "lines.csv").returncode == 0
    asked = len(counting(plan_server).generations)
    write_csv(tmp_path / "lines.csv", rows)
    dry = batch(plan_server, tmp_path, "lines.csv", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == [
        "skip    line 1 (prompt01): out/1_prompt01.wav (done)",
        "skip    line 2 (prompt02): out/2_prompt02.wav (done)",
        "render  line 3 (prompt03): out/3_prompt03.wav  [Test Tones] 'Prompt 3.'",
        "1 to render, 2 done already"]
    assert len(counting(plan_server).generations) == asked
    assert not (tmp_path / "out" / "3_prompt03.wav").exists()


def test_normalized_flac_at_48k_reads_back_at_the_target(
        plan_server: ThreadedServer, tmp_path: Path) -> None:
    write_csv(tmp_path / "lines.csv", [
        {"id": "long", "text": "One two three four five six seven eight nine ten."},
        {"id": "quiet", "text": "Eleven twelve thirteen fourteen fifteen.",
         "volume": "0.6"}])
    done = batch(plan_server, tmp_path, "lines.csv", "--normalize", "-16", "--format",
                 "flac", "--export-rate", "48000", "--timings", "json,srt,vtt")
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out"
    for stem in ("1_long", "2_quiet"):
        samples, rate = soundfile.read(out / f"{stem}.flac", dtype="float32")
        assert rate == 48000
        lufs = pyloudnorm.Meter(rate).integrated_loudness(samples.astype(np.float64))
        assert abs(lufs - -16.0) <= 0.5, (stem, lufs)
        assert (out / f"{stem}.srt").exists() and (out / f"{stem}.vtt").exists()
        assert manifest(tmp_path)[stem.split("_", 1)[1]]["lufs"] == pytest.approx(-16, abs=0.5)
    assert "-16.0 LUFS" in done.stderr


def test_ctrl_c_exits_130_and_the_manifest_keeps_what_finished(
        real_time_server: ThreadedServer, tmp_path: Path) -> None:
    plan_server = real_time_server
    write_csv(tmp_path / "lines.csv", fifty_lines())
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARTESIA_")}
    env["CARTESIA_API_KEY"] = KEY
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "batch", "lines.csv", "-o", "out",
         "--base-url", plan_server.url, "--voice", VOICE_ID, "--concurrency", "1"],
        cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        if " done: " in line and len([s for s in seen if " done: " in s]) == 3:
            process.send_signal(signal.SIGINT)
            break
    rest = process.stderr.read()
    assert process.wait(timeout=30) == 130, "".join(seen) + rest
    kept = manifest(tmp_path)
    assert 3 <= len(kept) < LINES
    for entry in kept.values():
        assert all((tmp_path / "out" / name).is_file() for name in entry["files"])
    assert "run the same command again" in rest


def test_on_a_terminal_one_progress_line_is_redrawn_in_place(plan_server: ThreadedServer,
                                                               tmp_path: Path) -> None:
    write_csv(tmp_path / "lines.csv", fifty_lines()[:6])
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARTESIA_")}
    env.update(CARTESIA_API_KEY=KEY, TERM="xterm")
    main, child = os.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py"), "batch", "lines.csv", "-o", "out",
             "--base-url", plan_server.url, "--voice", VOICE_ID],
            cwd=tmp_path, env=env, stderr=child, stdout=subprocess.DEVNULL)
        os.close(child)
        received = b""
        while True:
            try:
                data = os.read(main, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            received += data
        assert process.wait(timeout=30) == 0
    finally:
        os.close(main)
    text = received.decode()
    redraws = re.findall(r"\r\x1b\[K(\[[#.]{20}\] \d+/6 done, \d+ failed, \d+ left, "
                         r"\d+:\d\d\.\d)", text)
    assert redraws[-1].startswith("[####################] 6/6 done, 0 failed, 0 left, ")
    assert len(redraws) >= 6
    assert " done: " not in text  # no line per file on a terminal: the bar says it
    assert "6 rendered, 0 skipped (done already), 0 failed" in text


def planned(n: int, line_id: str) -> PlannedLine:
    settings = TakeSettings(text="Hi.", voice_id=VOICE_ID)
    return PlannedLine(n, ScriptLine(line_id, "Hi."), settings, Voice(id=VOICE_ID, name="T"),
                       f"{n}_{line_id}", "key", done=False)


def test_the_bar_and_messages_above_it() -> None:
    assert progress_bar(23, 1, 26, 12.04) == \
        "[##########..........] 23/50 done, 1 failed, 26 left, 0:12.0"
    err = io.StringIO()
    display = Display(err, Path("out"), tty=True)
    display(Progress(1, 0, 2, 1.0))
    display(LineFailed(planned(2, "bad"), "Voice not found"))
    display(Progress(1, 1, 1, 2.0))
    display.end()
    assert err.getvalue() == (
        "\r\x1b[K[#######.............] 1/3 done, 0 failed, 2 left, 0:01.0"
        "\r\x1b[Kline 2 (bad) failed: Voice not found\n"
        "\r\x1b[K[#######.............] 1/3 done, 0 failed, 2 left, 0:01.0"
        "\r\x1b[K[#############.......] 1/3 done, 1 failed, 1 left, 0:02.0\n")
    plain = io.StringIO()
    display = Display(plain, Path("out"), tty=False)
    display(Progress(1, 0, 2, 1.0))
    display(LineFailed(planned(2, "bad"), "Voice not found"))
    assert plain.getvalue() == "line 2 (bad) failed: Voice not found\n"


def test_a_project_renders_in_its_own_voice_and_exports_its_chosen_takes_as_they_are(
        plan_server: ThreadedServer, tmp_path: Path) -> None:
    lines = Script([ScriptLine("intro", "Welcome to the show."),
                    ScriptLine("outro", "See you soon.", volume=0.8)],
                   defaults=ScriptDefaults(voice_id=VOICE_ID, voice_name="Host"))
    # The intro's chosen take (a retake spliced in, say): what the designer kept.
    kept = Take(lines.lines[0].take_settings())
    kept.append_audio(0.25 * np.sin(np.linspace(0, 2000, 44100)).astype(np.float32))
    kept.finish(TakeStatus.DONE)
    lines.set_take(0, kept)
    save_project(lines, tmp_path / "show.voicebooth", {kept.id: kept})
    done = cli("batch", "show.voicebooth", "-o", "out", "--base-url", plan_server.url,
               "--name", "{id}-{voice}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "out").glob("*.wav")) == \
        ["intro-Test Tones.wav", "outro-Test Tones.wav"]
    assert counting(plan_server).generations == ["See you soon."]
    samples, rate = soundfile.read(tmp_path / "out" / "intro-Test Tones.wav",
                                   dtype="float32")
    assert rate == 44100 and np.array_equal(samples, kept.samples)
    assert "1 rendered, 1 exported from their chosen takes, 0 skipped" in done.stderr
    again = cli("batch", "show.voicebooth", "-o", "out", "--base-url", plan_server.url,
                "--name", "{id}-{voice}", cwd=tmp_path)
    assert again.returncode == 0 and len(counting(plan_server).generations) == 1


def test_bad_usage_exits_2_before_anything_is_sent(plan_server: ThreadedServer,
                                                   tmp_path: Path) -> None:
    write_csv(tmp_path / "lines.csv", fifty_lines()[:2])
    (tmp_path / "file").write_text("not a folder")
    for extra, message in ((("--name", "{n}_{bogus}"), "bogus"),
                           (("--name", "same"), "would both be written to same.wav"),
                           (("--timings", "json,txt"), "unknown timings 'txt'"),
                           (("--format", "flac", "--wav-format", "float"), "FLAC")):
        done = batch(plan_server, tmp_path, "lines.csv", *extra)
        assert done.returncode == 2, (extra, done.stderr)
        assert message in done.stderr, (extra, done.stderr)
    done = cli("batch", "lines.csv", "-o", "file", "--base-url", plan_server.url,
               "--voice", VOICE_ID, cwd=tmp_path)
    assert done.returncode == 2 and "this is a file" in done.stderr
    assert counting(plan_server).generations == []
    assert not (tmp_path / "out").exists()
