"""The set-up scripts: switching between start.sh and test.sh does not reinstall."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_each_mode_has_its_own_install_stamp(tmp_path: Path) -> None:
    # A project folder whose venv "python" only notes what it is asked to do.
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    log = tmp_path / "pip.log"
    python.write_text(f"#!/bin/sh\necho \"$*\" >> {log}\n")
    python.chmod(0o755)
    script = f"""
        source {ROOT / "scripts" / "bootstrap.sh"}
        VB_ROOT={tmp_path}
        vb_venv "test,dev"   # test.sh
        vb_venv ""           # start.sh: already installed by the test set-up
        vb_venv "test,dev"   # test.sh again
        vb_venv ""
    """
    subprocess.run(["bash", "-c", script], check=True, timeout=30)
    installs = [line for line in log.read_text().splitlines() if "install -q -e" in line]
    assert len(installs) == 1 and installs[0].endswith(f"{tmp_path}[test,dev]")
    # A changed pyproject.toml installs again, once.
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'y'\n")
    subprocess.run(["bash", "-c", script], check=True, timeout=30)
    installs = [line for line in log.read_text().splitlines() if "install -q -e" in line]
    assert len(installs) == 2
