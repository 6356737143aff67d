"""Cartesia transcript markup: tokens, validation, rendering for engines, lexicon."""

from app.markup.dialect import Dialect, sonic3
from app.markup.errors import MarkupError, MarkupInvalid
from app.markup.lexicon import Entry, Lexicon
from app.markup.render import Pause, Pronounce, Segment, Spell, Text, plain_text, to_segments
from app.markup.tokens import Position, Span, Token, position, tokenize
from app.markup.validate import Diagnostic, check, validate

__all__ = ["Diagnostic", "Dialect", "Entry", "Lexicon", "MarkupError", "MarkupInvalid", "Pause",
           "Position", "Pronounce", "Segment", "Span", "Spell", "Text", "Token", "check",
           "plain_text", "position", "sonic3", "to_segments", "tokenize", "validate"]
