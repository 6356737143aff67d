"""Memory a finished take freed, given back to the system (glibc only).

onnxruntime's CPU arena is shrunk after each run (``piper_voice._open_session``), and
what it frees goes back to ``malloc``. glibc keeps freed heap in the process: +42 MB
after two 45-word takes. ``malloc_trim`` once a take is done returns it (+2 MB), 1-25 ms
after the take and without the GIL. A fixed mmap threshold was measured too (every
large block mapped and unmapped on its own: +1 MB) but made inference 1.5-2x slower.

glibc also gives each thread that allocates while another holds the lock an arena of
its own, and ``malloc_trim`` cannot return what stays in use there: the scheduler's
worker threads each kept 4-30 MB after a take in the app (+3 to +31 MB in all, from run
to run). The engine's threads rarely allocate at the same moment (inference is one
thread's run, the loop only sends), so they share one arena (:func:`one_arena`): a take
then leaves nothing behind.
"""

from __future__ import annotations

import ctypes
import logging

log = logging.getLogger(__name__)

#: ``mallopt``'s parameter for the most arenas (glibc's malloc.h).
M_ARENA_MAX = -8


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


def one_arena() -> bool:
    """Have every thread allocate from the main arena. Call it before the process starts
    threads; ``False`` where there is no glibc ``mallopt``."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        log.debug("no mallopt here: each thread keeps an arena of its own")
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_ARENA_MAX, 1))
