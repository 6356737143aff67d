"""Large allocations given back to the system when they are freed (glibc only).

onnxruntime (its arena off) allocates each sentence's tensors with ``malloc``: a few
MB to tens of MB each. glibc serves a block that large with its own ``mmap`` and
unmaps it on ``free``, but after the first such free it raises that threshold to the
block's size (up to 32 MB), so the next sentences' tensors come from the heap of the
worker thread's arena and stay in the process when freed: +60-200 MB after a few
45-word takes. A fixed threshold keeps them mapped and returned (+2-5 MB).
"""

from __future__ import annotations

import ctypes
import logging
from typing import Final

log = logging.getLogger(__name__)

_M_MMAP_THRESHOLD: Final = -3  # mallopt's parameter (malloc.h)
#: glibc's own initial threshold; fixing it also turns its dynamic raising off.
MMAP_THRESHOLD: Final = 128 * 1024


def map_large_blocks() -> bool:
    """Fix glibc's mmap threshold for this process; ``False`` where there is no
    ``mallopt`` (another C library) or it refuses."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    done = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    if not done:
        log.debug("mallopt(M_MMAP_THRESHOLD) refused")
    return done
