"""File names of exported takes, from a template such as ``{n:03}_{id}``.

Fields: ``{n}`` (the line's number, with an optional format spec: ``{n:03}``),
``{id}`` (the line's or take's id), ``{voice}``, ``{text}`` (the first words a
listener hears, markup removed) and ``{date}`` (YYYY-MM-DD). The result is a
file *stem* that every common file system accepts: characters that Windows,
macOS or Linux refuse (``<>:"/\\|?*``, control characters) become ``_``, no
leading dot (a hidden file), no trailing dot or space (Windows drops them), no
reserved device name (``CON``, ``NUL``, ``COM1``…), never empty, and short
enough for any file system's 255-byte limit with an extension added.
"""

from __future__ import annotations

import re
import string
from datetime import datetime

from app.takes.errors import ExportError
from app.takes.take import spoken_text

DEFAULT_TEMPLATE = "{n}_{id}"
FIELDS = ("n", "id", "voice", "text", "date")
#: How much of the text ``{text}`` keeps: enough to recognise the line in a folder.
TEXT_WORDS = 6
TEXT_CHARS = 40
#: Bytes of a stem (UTF-8): 255 is the limit of ext4, APFS and NTFS, and the
#: extension and a timings suffix need room.
MAX_STEM_BYTES = 200

_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                       *(f"LPT{i}" for i in range(1, 10))})


class NamingError(ExportError):
    """The naming template cannot be used; the message names the field or the fault."""


def check_template(template: str) -> None:
    """Raise :class:`NamingError` for an unknown field or a malformed template."""
    _fields(template)


def _fields(template: str) -> list[str]:
    names = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise NamingError(f"the naming template {template!r} is malformed ({exc}); write "
                          "fields as {n}, {id}, {voice}, {text}, {date}, and a brace as {{ "
                          "or }}") from None
    for _, name, _, _ in parsed:
        if name is None:
            continue
        if name == "" or name.isdigit():
            raise NamingError(f"the naming template {template!r} has an empty field {{}}; "
                              f"name it: {_choices()}")
        if name not in FIELDS:
            raise NamingError(f"unknown field {{{name}}} in the naming template {template!r}; "
                              f"the fields are {_choices()}")
        names.append(name)
    return names


def _choices() -> str:
    return ", ".join("{" + field + "}" for field in FIELDS)


def text_words(text: str) -> str:
    """The first words heard, punctuation dropped, joined by ``_``: "Welcome_to_the_show"."""
    words = [w.strip(string.punctuation + "…“”‘’«»¿¡") for w in spoken_text(text).split()]
    head = "_".join(w for w in words if w)[:TEXT_CHARS * 4]
    kept = "_".join(head.split("_")[:TEXT_WORDS])
    return kept[:TEXT_CHARS].rstrip("_")


def render_name(template: str, *, n: int, id: str, voice: str, text: str,
                date: datetime) -> str:
    """The file stem (no extension) the template gives for one take."""
    _fields(template)
    values: dict[str, object] = {"n": n, "id": id, "voice": voice, "text": text_words(text),
                                 "date": date.strftime("%Y-%m-%d")}
    try:
        name = template.format_map(values)
    except (ValueError, TypeError) as exc:
        raise NamingError(f"the naming template {template!r} cannot be filled ({exc}); "
                          "a format spec such as {n:03} works on {n} only") from None
    return safe_stem(name, fallback=safe_stem(id, fallback="take"))


def safe_stem(name: str, *, fallback: str = "take") -> str:
    """``name`` as a file stem every system accepts (see the module's notes)."""
    stem = _UNSAFE.sub("_", name).strip()
    stem = stem.lstrip(".").rstrip(". ")
    encoded = stem.encode("utf-8")[:MAX_STEM_BYTES]
    stem = encoded.decode("utf-8", errors="ignore").rstrip(". ")
    if not stem:
        return fallback
    if stem.split(".", 1)[0].strip().upper() in _RESERVED:
        stem = "_" + stem
    return stem
