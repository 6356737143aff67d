"""``say --lexicon`` and ``voicebooth lexicon``, run as real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from app.engine.server import ThreadedServer
from app.engine.synth.tones import VOICE_ID
from tests.cli.conftest import KEY, ROOT

DATA = ROOT / "tests" / "markup" / "data"


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARTESIA_")}
    env.update(CARTESIA_API_KEY=KEY, XDG_DATA_HOME=str(home / "data"))
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], env=env,
                          capture_output=True, text=True, timeout=60, cwd=home)


def test_say_with_a_lexicon_file_keeps_the_written_word_in_timings_and_subtitles(
        server: ThreadedServer, tmp_path: Path) -> None:
    words = tmp_path / "words.csv"
    words.write_text("Cartesia,kar tee zha\n", "utf-8")
    done = cli(tmp_path, "say", "Cartesia speaks. Cartesia.", "--base-url", server.url,
               "--voice", VOICE_ID, "--lexicon", str(words), "-o", "out.wav",
               "--timestamps", "out.json", "--srt", "out.srt")
    assert done.returncode == 0, done.stderr
    assert "1 lexicon entry used" in done.stderr
    timed = json.loads((tmp_path / "out.json").read_text("utf-8"))["words"]
    assert [w["text"] for w in timed] == ["Cartesia", "speaks.", "Cartesia."]
    srt = (tmp_path / "out.srt").read_text("utf-8")
    assert "Cartesia speaks." in srt and "kar" not in srt


def test_the_user_lexicon_applies_unless_left_out_and_files_come_after_it(
        server: ThreadedServer, tmp_path: Path) -> None:
    assert cli(tmp_path, "lexicon", "import", str(DATA / "dict.json")).returncode == 0
    other = tmp_path / "other.json"
    other.write_text('[{"text": "chopitulas", "pronunciation": "other one"}]', "utf-8")

    def said(*extra: str) -> list[str]:
        done = cli(tmp_path, "say", "chopitulas now", "--base-url", server.url, "--voice",
                   VOICE_ID, "--timestamps", "t.json", "--force", *extra)
        assert done.returncode == 0, done.stderr
        return [w["text"] for w in json.loads((tmp_path / "t.json").read_text())["words"]]

    # The written word comes back whichever lexicon said it.
    assert said() == said("--lexicon", str(other)) == said("--no-user-lexicon") == [
        "chopitulas", "now"]
    assert "1 lexicon entry used" not in cli(
        tmp_path, "say", "chopitulas", "--base-url", server.url, "--voice", VOICE_ID,
        "--timestamps", "t.json", "--force", "--no-user-lexicon").stderr


def test_check_reports_line_and_column_and_exits_2(tmp_path: Path) -> None:
    good = cli(tmp_path, "lexicon", "check", str(DATA / "brands.pls"))
    assert good.returncode == 0 and "7 entries, no problems" in good.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("text,pronunciation\nCartesia,<<k|Q|r>>\n", "utf-8")
    done = cli(tmp_path, "lexicon", "check", str(bad))
    assert done.returncode == 2
    assert "error: bad.csv:2:14: 'Cartesia': 'Q' is not an IPA phoneme" in done.stderr
    missing = cli(tmp_path, "lexicon", "check", "nowhere.pls")
    assert missing.returncode == 2 and "cannot read nowhere.pls" in missing.stderr
    assert cli(tmp_path, "lexicon").returncode == 2  # an action is required
    # Checking a file connects nowhere: a connection option is a mistake, not ignored.
    offline = cli(tmp_path, "lexicon", "check", str(DATA / "brands.pls"), "--offline")
    assert offline.returncode == 2
    assert "--offline does not apply to 'lexicon check'" in offline.stderr


def test_say_refuses_a_bad_lexicon_before_sending_anything(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pls"
    bad.write_text('<lexicon alphabet="ipa">\n<lexeme>\n</lexeme></lexicon>', "utf-8")
    done = cli(tmp_path, "say", "hello", "--offline", "--lexicon", str(bad), "-o", "x.wav")
    assert done.returncode == 2
    assert "bad.pls:2:1: this <lexeme> has no <grapheme>" in done.stderr
    assert not (tmp_path / "x.wav").exists()


def test_convert_import_export_and_list(tmp_path: Path) -> None:
    done = cli(tmp_path, "lexicon", "convert", str(DATA / "brands.pls"), "brands.json")
    assert done.returncode == 0, done.stderr
    items = json.loads((tmp_path / "brands.json").read_text("utf-8"))
    assert items[0] == {"text": "Cartesia", "pronunciation": "<<k|ɑ|ɹ|ˈ|t|i|ʒ|ə>>",
                        "language": "en-US"}
    again = cli(tmp_path, "lexicon", "convert", str(DATA / "brands.pls"), "brands.json")
    assert again.returncode == 2 and "already exists" in again.stderr

    assert cli(tmp_path, "lexicon", "import", str(DATA / "words.csv")).returncode == 0
    merged = cli(tmp_path, "lexicon", "import", str(DATA / "dict.json"))
    assert "imported 3 entries" in merged.stdout and "the user lexicon has 5 entries" in (
        merged.stdout)
    listed = cli(tmp_path, "lexicon", "list").stdout
    assert "user lexicon" in listed and "chopitulas → chop-uh-TOO-liss" in listed
    assert cli(tmp_path, "lexicon", "export", "mine.pls").returncode == 0
    pls = (tmp_path / "mine.pls").read_text("utf-8")
    assert "<grapheme>Smith, Jr.</grapheme>" in pls and "<phoneme>kɑɹˈtiʒə</phoneme>" in pls

    replaced = cli(tmp_path, "lexicon", "import", "--replace", str(DATA / "dict.json"))
    assert "now has 3 entries" in replaced.stdout
    assert cli(tmp_path, "lexicon", "list").stdout.count("→") == 3
