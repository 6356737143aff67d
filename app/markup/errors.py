"""Errors of the markup layer.

::

    MarkupError
    └── MarkupInvalid   the transcript has errors; carries every diagnostic
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from app.errors import VoiceboothError

if TYPE_CHECKING:
    from app.markup.validate import Diagnostic


class MarkupError(VoiceboothError):
    """Base class of markup errors."""


class MarkupInvalid(MarkupError):
    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        errors = [d for d in self.diagnostics if d.severity == "error"]
        shown = "; ".join(d.describe() for d in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        super().__init__(f"the transcript has {len(errors)} markup error"
                         f"{'s' if len(errors) != 1 else ''}: {shown}{more}")
