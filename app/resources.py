"""Where the files in ``resources/`` are: in a clone, an installed wheel or the bundle.

The app icon, the style sheets, the desktop entry and the metainfo live in the
top-level ``resources/`` folder of the repository. Code asks for them by their
path inside that folder and never builds the path itself, so the same call works
wherever Voicebooth runs from.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from app.errors import VoiceboothError


class ResourceMissing(VoiceboothError):
    """A file Voicebooth ships with is not where it should be (a broken install)."""


@cache
def resources_dir() -> Path:
    """The folder that holds the resources, wherever Voicebooth was started from."""
    for folder in _candidates():
        if (folder / "README.md").is_file():
            return folder.resolve()  # a clone's symlink: report the real folder
    raise ResourceMissing("Voicebooth's resources folder was not found: the installation "
                          "is incomplete (reinstall it)")


def resource(*parts: str) -> Path:
    """One file in ``resources/``: ``resource("icons", "app.svg")``."""
    path = resources_dir().joinpath(*parts)
    if not path.exists():
        raise ResourceMissing(f"{'/'.join(parts)} is missing from Voicebooth's resources "
                              f"({resources_dir()}): the installation is incomplete")
    return path


#: Where the wheel ships resources/: inside the package (app/resources.py is this
#: module, hence the underscore). In a clone app/_resources is a symlink to
#: ../resources, which is how setuptools' package-data picks the folder up.
PACKAGED = "_resources"


def _candidates() -> list[Path]:
    here = Path(__file__).resolve().parent
    found = []
    bundle = getattr(sys, "_MEIPASS", None)  # PyInstaller's unpacked folder
    if bundle:
        found.append(Path(bundle) / "resources")
    # The package's own copy before the folder beside it: an installed wheel's
    # neighbour in site-packages could be another project's resources/.
    found.append(here / PACKAGED)
    found.append(here.parent / "resources")  # a clone without the symlink (Windows)
    return found
