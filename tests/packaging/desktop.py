"""Reading and validating the desktop entry and the metainfo, for the packaging tests."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "io.github.voicebooth.Voicebooth"
DESKTOP = ROOT / "resources" / f"{APP_ID}.desktop"
METAINFO = ROOT / "resources" / f"{APP_ID}.metainfo.xml"


def entry(path: Path) -> dict[str, str]:
    """The [Desktop Entry] group, keys as written (configparser would lower-case them)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def tool(name: str) -> str:
    """The validator's path; a test skips only when the tool is not installed."""
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (scripts/bootstrap.sh installs it)")
    return found


def validate_desktop(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool("desktop-file-validate"), str(path)], capture_output=True,
                          text=True, timeout=60)


def validate_metainfo(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool("appstreamcli"), "validate", "--no-net", str(path)],
                          capture_output=True, text=True, timeout=60)
