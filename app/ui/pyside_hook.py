"""PySide6's import hook, made to read each module's source as bytes and keep none of it.

Since PySide6 6.4 (its issue PYSIDE-2029) every module imported after PySide6 passes
through ``shibokensupport.feature``, which decides whether the module may switch
PySide's ``__feature__`` options by asking ``inspect.getsource(module)`` whether the
text "PySide6" appears in it. ``inspect`` reads the file through ``linecache``, and
``linecache`` keeps every line for the life of the process. By the time the window
shows that is 338 sources, 174,000 lines, 15 MB of the window's memory, plus the time
``inspect`` spends finding each module's file; every later import (PortAudio's on the
first Play, numpy's masked arrays on the first loudness reading) adds its own.

The answer is the same from the file's bytes, read and dropped: a module whose file is
not Python source (an extension, a frozen or bundled module) has no source for
``inspect`` either, and PySide6 counts it as not using PySide.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import PySide6.QtCore  # noqa: F401  (its import installs the hook adjusted here)

#: Where PySide6 keeps the check; a private module, so a PySide6 without it is left be.
FEATURE_MODULE = "shibokensupport.feature"
CHECK = "_mod_uses_pyside"


def mentions_pyside(module: ModuleType) -> bool:
    """PySide6's own question, "does this module's source say PySide6?", answered from
    the file's bytes."""
    path = getattr(module, "__file__", None)
    if not isinstance(path, str) or not path.endswith(".py"):
        return False
    try:
        return b"PySide6" in Path(path).read_bytes()
    except OSError:
        return False


def check_sources_by_bytes() -> bool:
    """Put :func:`mentions_pyside` in place of PySide6's check. ``False`` where this
    PySide6 has no such check: then nothing changes."""
    feature = sys.modules.get(FEATURE_MODULE)
    if feature is None or not callable(getattr(feature, CHECK, None)):
        return False
    setattr(feature, CHECK, mentions_pyside)
    return True
