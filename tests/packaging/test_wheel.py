"""The wheel carries resources/: installed into a fresh venv and started from another
folder, the window finds its icon, styles and desktop files inside the package."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import SERVICES_REQUIRED
from tests.packaging.desktop import APP_ID, ROOT

pytestmark = pytest.mark.slow

#: Builds the window as app.ui.main does, then reports what it found where.
START_WINDOW = """
import json, sys, tempfile
from pathlib import Path
from PySide6.QtWidgets import QApplication
import app
from app.resources import resource, resources_dir
from app.studio.options import RunOptions
from app.ui.main import APP_ID, build_window, identify

qt = QApplication(sys.argv)
identify(qt)
folder = Path(tempfile.mkdtemp())
window = build_window(RunOptions(offline=True), settings_path=folder / "settings.json",
                      data_dir=folder / "data", cache_dir=folder / "cache")
window.show()
qt.processEvents()
shipped = resources_dir()
print(json.dumps({
    "package": app.__file__,
    "resources": str(shipped),
    "files": sorted(str(p.relative_to(shipped)) for p in shipped.rglob("*") if p.is_file()),
    "icon": str(resource("voicebooth.svg")),
    "entry": str(resource(APP_ID + ".desktop")),
    "icon_is_null": window.windowIcon().isNull(),
    "desktop_file_name": qt.desktopFileName(),
    "shown": window.isVisible(),
}))
window.close()
"""


def wheelhouse() -> Path:
    """The build backend as a wheel (scripts/test.sh fetches it once): tests never
    download, and the venv's own setuptools is too old for pyproject's licence field."""
    folder = Path(os.environ.get("VOICEBOOTH_WHEELHOUSE") or ROOT / "build" / "wheelhouse")
    if not list(folder.glob("setuptools-*.whl")):
        problem = f"no setuptools wheel in {folder} to build with offline (run scripts/test.sh)"
        if SERVICES_REQUIRED:
            pytest.fail(problem, pytrace=False)
        pytest.skip(problem)
    return folder


def clean_env(**extra: str) -> dict[str, str]:
    """Without PYTHONPATH: the installed package must be the one imported."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return {**env, **extra}


def run(*args: str | Path, cwd: Path, timeout: float = 300) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=clean_env(
        QT_QPA_PLATFORM="offscreen"), capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def source_tree(into: Path) -> Path:
    """What the wheel is built from: the working tree, symlink included."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "app", into / "app", symlinks=True, ignore=ignore)
    shutil.copytree(ROOT / "resources", into / "resources", ignore=ignore)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, into / name)
    return into


def test_the_installed_wheel_starts_the_window_with_its_resources(tmp_path: Path) -> None:
    source = source_tree(tmp_path / "source")
    dist = tmp_path / "dist"
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-index",
        "--find-links", wheelhouse(), "-w", dist, source, cwd=tmp_path)
    (wheel,) = dist.glob("voicebooth-*.whl")

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                    cwd=tmp_path).strip())
    # The dependencies come from the test venv (no downloads); Voicebooth from the wheel.
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps",
        "--no-index", wheel, cwd=tmp_path)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    facts = json.loads(run(python, "-c", START_WINDOW, cwd=elsewhere).splitlines()[-1])
    package = site / "app"
    assert Path(facts["package"]).parent == package  # not the clone
    assert Path(facts["resources"]) == package / "_resources"
    expected = sorted(str(p.relative_to(ROOT / "resources"))
                      for p in (ROOT / "resources").rglob("*") if p.is_file())
    assert facts["files"] == expected  # every resource shipped, styles included
    assert Path(facts["icon"]).is_relative_to(package)
    assert Path(facts["entry"]).is_relative_to(package)
    assert facts["shown"] and not facts["icon_is_null"]
    assert facts["desktop_file_name"] == APP_ID

    usage = run(venv / "bin" / "voicebooth", "--help", cwd=elsewhere)
    assert "usage: voicebooth" in usage
