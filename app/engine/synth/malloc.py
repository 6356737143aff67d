"""Memory a finished take freed, given back to the system (glibc only).

onnxruntime's CPU arena is shrunk after each run (``piper_voice._open_session``), and
what it frees goes back to ``malloc``. glibc keeps freed heap in the process: +42 MB
after two 45-word takes. ``malloc_trim`` once a take is done returns it (+2 MB), 1-25 ms
after the take and without the GIL. A fixed mmap threshold was measured too (every
large block mapped and unmapped on its own: +1 MB) but made inference 1.5-2x slower.
"""

from __future__ import annotations

import ctypes
import logging

log = logging.getLogger(__name__)


def give_back() -> bool:
    """Return the free memory of every malloc arena to the system; ``False`` where there
    is no ``malloc_trim`` (another C library). ctypes lets the GIL go during the call."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        log.debug("no malloc_trim here: freed memory stays in the process")
        return False
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return bool(trim(0))
