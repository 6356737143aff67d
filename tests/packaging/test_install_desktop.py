"""packaging/install-desktop.sh puts the entry, icons and metainfo where launchers look,
starting the given program; uninstall-desktop.sh removes exactly that."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.packaging.desktop import APP_ID, ROOT, entry, tool, validate_desktop

INSTALL = ROOT / "packaging" / "install-desktop.sh"
UNINSTALL = ROOT / "packaging" / "uninstall-desktop.sh"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def run(script: Path, *args: str | Path, data: Path, path: str | None = None,
        ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_DATA_HOME": str(data)}
    if path is not None:
        env["PATH"] = path
    done = subprocess.run(["bash", str(script), *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=60)
    if ok:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def program(folder: Path) -> Path:
    """A stand-in for the bundle's executable: the entry only has to point at it."""
    folder.mkdir(parents=True, exist_ok=True)
    exe = folder / "voicebooth"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    return exe


def tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def test_the_installed_entry_starts_the_given_program(tmp_path: Path) -> None:
    data = tmp_path / "share"
    exe = program(tmp_path / "my apps" / "voicebooth")  # a space: Exec quotes it
    run(INSTALL, "--exec", exe, data=data)

    installed = data / "applications" / f"{APP_ID}.desktop"
    done = validate_desktop(installed)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr
    fields = entry(installed)
    assert fields["Exec"] == f'"{exe}"'
    assert fields["TryExec"] == str(exe)  # the launcher hides the entry once it is gone
    assert fields["Icon"] == APP_ID
    for size in SIZES:
        icon = data / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        assert icon.read_bytes() == (ROOT / "resources" / "icons" /
                                     f"voicebooth-{size}.png").read_bytes()
    assert (data / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").is_file()
    assert (data / "metainfo" / f"{APP_ID}.metainfo.xml").is_file()
    # The store's view of the installed tree: the metainfo finds its launchable entry.
    (tmp_path / "prefix").mkdir()
    (tmp_path / "prefix" / "share").symlink_to(data)
    checked = subprocess.run([tool("appstreamcli"), "validate-tree", "--no-net",
                              str(tmp_path / "prefix")], capture_output=True, text=True,
                             timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_uninstall_removes_exactly_what_was_installed(tmp_path: Path) -> None:
    data = tmp_path / "share"
    # Another app's entry and icon, and the take history, were there before.
    others = [data / "applications" / "org.example.Other.desktop",
              data / "icons" / "hicolor" / "48x48" / "apps" / "org.example.Other.png",
              data / "voicebooth" / "history" / "takes.sqlite"]
    for path in others:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("theirs")
    before = tree(data)
    exe = program(tmp_path / "bin")
    run(INSTALL, "--exec", exe, data=data)
    run(INSTALL, "--exec", exe, data=data)  # installing twice changes nothing
    assert len(tree(data)) > len(before)

    run(UNINSTALL, data=data)
    after = tree(data)
    # The caches the desktop tools keep beside other apps' files stay, refreshed.
    assert after - {"applications/mimeinfo.cache", "icons/hicolor/icon-theme.cache"} == before
    assert all(path.read_text() == "theirs" for path in others)


def test_uninstall_into_an_empty_folder_leaves_it_empty(tmp_path: Path) -> None:
    data = tmp_path / "share"
    data.mkdir()
    run(INSTALL, "--exec", program(tmp_path / "bin"), data=data)
    run(UNINSTALL, data=data)
    assert tree(data) == set()
    assert "nothing to remove" in run(UNINSTALL, data=data).stdout


def test_without_exec_the_voicebooth_on_path_is_started(tmp_path: Path) -> None:
    exe = program(tmp_path / "bin")
    run(INSTALL, data=tmp_path / "share", path=f"{exe.parent}:/usr/bin:/bin")
    assert entry(tmp_path / "share" / "applications" / f"{APP_ID}.desktop")["Exec"] == str(exe)


@pytest.mark.parametrize(("args", "message"), [
    ((), "voicebooth is not on PATH: pass the program to start"),
    (("--exec", "/no/such/voicebooth"), "--exec /no/such/voicebooth: no executable file there"),
    (("--exec",), "--exec needs the path of the voicebooth program"),
    (("--prefix", "/usr"), "unknown argument '--prefix'"),
])
def test_bad_input_is_named_and_installs_nothing(tmp_path: Path, args: tuple[str, ...],
                                                 message: str) -> None:
    data = tmp_path / "share"
    done = run(INSTALL, *args, data=data, path="/usr/bin:/bin", ok=False)
    assert done.returncode == 2
    assert message in done.stderr
    assert not data.exists()


def test_a_path_the_entry_cannot_quote_is_refused(tmp_path: Path) -> None:
    exe = program(tmp_path / "100%")
    done = run(INSTALL, "--exec", exe, data=tmp_path / "share", ok=False)
    assert done.returncode == 2 and "cannot quote reliably" in done.stderr
    assert not (tmp_path / "share").exists()
