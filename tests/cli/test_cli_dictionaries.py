"""``say --pronunciation-dict ID`` and ``serve --data-dir``, as real subprocesses."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from app.cartesia.config import ClientConfig
from app.cartesia.dictionaries import DictionariesClient
from app.cartesia.dictionaries_types import DictItem
from app.engine.server import ThreadedServer
from app.engine.synth.tones import VOICE_ID
from tests.cli.conftest import KEY, ROOT
from tests.cli.test_cli import say

ENTRY = DictItem("Cartesia", "kar-TAY-zee-uh")


def create(url: str, key: str | None, *items: DictItem) -> str:
    async def scenario() -> str:
        async with DictionariesClient(ClientConfig(url, api_key=key)) as client:
            return (await client.create("Brands", items)).id
    return asyncio.run(asyncio.wait_for(scenario(), 20))


def spoken(folder: Path, name: str) -> list[str]:
    return [w["text"] for w in json.loads((folder / name).read_text())["words"]]


def test_say_applies_the_dictionary_it_is_given(server: ThreadedServer,
                                                tmp_path: Path) -> None:
    dict_id = create(server.url, KEY, ENTRY)
    plain = say(server, tmp_path, "-o", "a.wav", "--timestamps", "a.json",
                text="Hello Cartesia.")
    tuned = say(server, tmp_path, "-o", "b.wav", "--timestamps", "b.json",
                "--pronunciation-dict", dict_id, text="Hello Cartesia.")
    assert plain.returncode == 0 and tuned.returncode == 0, tuned.stderr
    assert spoken(tmp_path, "a.json") == ["Hello", "Cartesia."]
    # The tone voice says each word it is given: the server gave it the entry.
    assert spoken(tmp_path, "b.json") == ["Hello", "kar-TAY-zee-uh."]


def test_an_unknown_dictionary_exits_2_and_names_it(server: ThreadedServer,
                                                    tmp_path: Path) -> None:
    done = say(server, tmp_path, "-o", "a.wav", "--pronunciation-dict", "pdict_missing")
    assert done.returncode == 2
    assert "No pronunciation dictionary with id 'pdict_missing'" in done.stderr
    assert not (tmp_path / "a.wav").exists()


def test_serve_keeps_dictionaries_in_its_data_folder(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARTESIA_")}
    data = tmp_path / "engine data"

    def serve() -> tuple[subprocess.Popen[str], str]:
        proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "serve", "--port",
                                 "0", "--data-dir", str(data)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env)
        assert proc.stdout is not None
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", proc.stdout.readline())
        assert match
        return proc, match.group(1)

    def stop(proc: subprocess.Popen[str]) -> None:
        proc.terminate()
        proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()

    proc, url = serve()
    try:
        dict_id = create(url, None, ENTRY)
    finally:
        stop(proc)
    assert (data / "pronunciation-dicts.json").is_file()
    proc, url = serve()  # a new engine finds it and applies it
    try:
        done = subprocess.run(
            [sys.executable, str(ROOT / "main.py"), "say", "Hello Cartesia.", "--base-url",
             url, "--voice", VOICE_ID, "-o", "a.wav", "--timestamps", "a.json",
             "--pronunciation-dict", dict_id], env=env, capture_output=True, text=True,
            timeout=60, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert spoken(tmp_path, "a.json") == ["Hello", "kar-TAY-zee-uh."]
    finally:
        stop(proc)


def test_lexicon_push_pull_and_dicts_against_the_server(server: ThreadedServer,
                                                        tmp_path: Path) -> None:
    from tests.cli.test_cli import cli

    brands = ROOT / "tests" / "markup" / "data" / "brands.pls"
    pushed = cli("lexicon", "push", str(brands), "--name", "Brands", "--base-url", server.url,
                 cwd=tmp_path)
    assert pushed.returncode == 0, pushed.stderr
    found = re.search(r"pronunciation dictionary (\S+)", pushed.stdout)
    assert found is not None, pushed.stdout
    dict_id = found.group(1)
    # Pushing the same name again updates that dictionary: still one, same id.
    again = cli("lexicon", "push", str(brands), "--name", "Brands", "--base-url", server.url,
                cwd=tmp_path)
    assert dict_id in again.stdout
    listed = cli("lexicon", "dicts", "--base-url", server.url, cwd=tmp_path)
    assert listed.returncode == 0 and listed.stdout.count("Brands") == 1
    assert dict_id in listed.stdout
    pulled = cli("lexicon", "pull", dict_id, "back.csv", "--base-url", server.url,
                 cwd=tmp_path)
    assert pulled.returncode == 0, pulled.stderr
    original = cli("lexicon", "convert", str(brands), "orig.csv", cwd=tmp_path)
    assert original.returncode == 0, original.stderr
    # A dictionary holds words and pronunciations (no language): those come back exactly.
    def pairs(name: str) -> list[tuple[str, str]]:
        with (tmp_path / name).open(newline="", encoding="utf-8") as f:
            return [(row[0], row[1]) for row in list(csv.reader(f))[1:]]
    assert pairs("back.csv") == pairs("orig.csv") and len(pairs("back.csv")) >= 3
    missing = cli("lexicon", "pull", "pdict_missing", "x.csv", "--base-url", server.url,
                  cwd=tmp_path)
    assert missing.returncode == 2 and "pdict_missing" in missing.stderr
    assert not (tmp_path / "x.csv").exists()
