"""Lexicon files: W3C PLS 1.0, CSV and Cartesia's dictionary JSON, read and written.

- PLS (``.pls``, ``.xml``): what Azure, Amazon Polly and Google read.
  ``alphabet="ipa"`` only; a ``<lexeme>`` has one or more ``<grapheme>`` (each
  becomes an entry) and ``<phoneme>`` (IPA, e.g. ``kɑɹˈtiʒə``: split into
  Cartesia's ``<<k|ɑ|ɹ|ˈ|t|i|ʒ|ə>>``) or ``<alias>`` (a sounds-like spelling);
  the first pronunciation, or the one marked ``prefer="true"``, is used. The
  root's ``xml:lang`` is the entries' language (``und``: any language).
- CSV (``.csv``): ``text,pronunciation[,language]``, a header row optional.
- JSON (``.json``): Cartesia's ``[{"text", "pronunciation"}]`` (``language`` kept
  when present).

Reading is all or nothing: the first problem raises :class:`LexiconFileError`
with its line and column, and no entry is returned. XML with a DTD or an
entity declaration is refused (entity expansion bombs). Writing is atomic.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from xml.parsers import expat

from app.atomic import WriteError, atomic_write
from app.markup.dialect import Dialect, sonic3
from app.markup.errors import MarkupError
from app.markup.lexicon import Entry, Lexicon, entry_problems, from_ipa_string, ipa_string

Format = Literal["pls", "csv", "json"]
PLS_NAMESPACE = "http://www.w3.org/2005/01/pronunciation-lexicon"
_EXTENSIONS: dict[str, Format] = {".pls": "pls", ".xml": "pls", ".csv": "csv",
                                  ".json": "json"}
_XML_LANG = "http://www.w3.org/XML/1998/namespace lang"
#: The language written on a PLS file whose entries apply to every language.
ANY_LANGUAGE = "und"


class LexiconFileError(MarkupError):
    """A lexicon file that cannot be read; nothing of it was imported."""

    def __init__(self, name: str, line: int, column: int, message: str) -> None:
        self.name, self.line, self.column, self.problem = name, line, column, message
        super().__init__(f"{name}:{line}:{column}: {message}")


def format_of(path: str | os.PathLike[str], head: str = "") -> Format:
    """The format, from the extension, else from the first characters."""
    suffix = Path(path).suffix.lower()
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    start = head.lstrip("\ufeff \t\r\n")[:1]
    if start == "<":
        return "pls"
    if start == "[":
        return "json"
    if head:
        return "csv"
    raise MarkupError(f"{Path(path).name}: unknown lexicon format {suffix or '(no extension)'!r};"
                      " use .pls, .csv or .json")


# --- reading ------------------------------------------------------------------------------

def read_lexicon(path: str | os.PathLike[str], dialect: Dialect | None = None) -> Lexicon:
    """Read and check a lexicon file (entries' ``source`` is the file's name)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise MarkupError(f"cannot read {p}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise LexiconFileError(p.name, line, column, "not UTF-8 text") from None
    return parse_lexicon(text, format_of(p, text), p.name, dialect)


def parse_lexicon(text: str, fmt: Format, name: str = "lexicon",
                  dialect: Dialect | None = None) -> Lexicon:
    readers: dict[Format, Callable[[str, str], list[_Located]]] = {
        "pls": _read_pls, "csv": _read_csv, "json": _read_json}
    located = readers[fmt](text, name)
    check = dialect or sonic3()
    for item in located:
        for offset, problem in entry_problems(item.entry, check)[:1]:
            line, column = item.said_at if offset or problem.startswith("no pro") \
                else item.text_at
            if offset and item.said_is_verbatim:
                column += offset
            raise LexiconFileError(name, line, column, f"{item.entry.text!r}: {problem}")
    return Lexicon(item.entry for item in located)


@dataclass(frozen=True)
class _Located:
    """An entry read from a file, with where its word and its pronunciation are there."""

    entry: Entry
    text_at: tuple[int, int]
    said_at: tuple[int, int]
    #: Whether the pronunciation is in the file as it is in the entry (so an offset in
    #: it is a column); a PLS phoneme is converted, a JSON string may hold escapes.
    said_is_verbatim: bool = False


def _read_json(text: str, name: str) -> list[_Located]:
    def where(offset: int) -> tuple[int, int]:
        return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1

    def fail(offset: int, message: str) -> LexiconFileError:
        return LexiconFileError(name, *where(offset), message)

    decoder = json.JSONDecoder()
    try:
        decoder.decode(text)  # the syntax first, with the decoder's own position
    except json.JSONDecodeError as exc:
        raise LexiconFileError(name, exc.lineno, exc.colno, exc.msg) from None
    i = _skip(text, 0)
    if text[i:i + 1] != "[":
        raise fail(i, "a Cartesia dictionary is a JSON array of {\"text\", \"pronunciation\"}")
    out: list[_Located] = []
    i = _skip(text, i + 1)
    while text[i:i + 1] != "]":
        item, end = decoder.raw_decode(text, i)
        said = item.get("pronunciation", item.get("alias")) if isinstance(item, dict) else None
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise fail(i, "each item needs \"text\" and \"pronunciation\" strings")
        if not isinstance(said, str):
            raise fail(i, f"{item['text']!r} needs a \"pronunciation\" string")
        language = item.get("language")
        if language is not None and not isinstance(language, str):
            raise fail(i, f"{item['text']!r}: \"language\" must be a string")
        out.append(_Located(Entry(item["text"], said, language or None, name), where(i),
                            where(i)))
        i = _skip(text, end)
        if text[i:i + 1] == ",":
            i = _skip(text, i + 1)
    return out


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


_HEADER = ("text", "pronunciation")


def _read_csv(text: str, name: str) -> list[_Located]:
    out: list[_Located] = []
    lines = text.splitlines(keepends=True)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    first_line = 1
    try:
        for row in reader:
            line = first_line
            first_line = reader.line_num + 1
            if not row or not any(cell.strip() for cell in row) or row[0].startswith("#"):
                continue
            if not out and tuple(c.strip().lower() for c in row[:2]) == _HEADER:
                continue
            if len(row) < 2:
                column = len(lines[line - 1].rstrip("\r\n")) + 1 if line <= len(lines) else 1
                raise LexiconFileError(name, line, column, f"{row[0]!r} has no pronunciation; "
                                       "write text,pronunciation[,language]")
            if len(row) > 3:
                raise LexiconFileError(name, line, 1, f"{len(row)} columns; write "
                                       "text,pronunciation[,language]")
            language = row[2].strip() if len(row) == 3 else ""
            column, quoted = _column_of(lines[line - 1] if line <= len(lines) else "", 1)
            out.append(_Located(Entry(row[0], row[1], language or None, name), (line, 1),
                                (line, column), not quoted))
    except csv.Error as exc:
        raise LexiconFileError(name, reader.line_num or 1, 1, str(exc)) from None
    return out


def _column_of(line: str, field: int) -> tuple[int, bool]:
    """The 1-based column where ``field`` (0-based) starts in a CSV line, and whether it
    is quoted (then offsets in it are not columns: quotes may be doubled)."""
    quoted, index = False, 0
    for i, c in enumerate(line):
        if c == '"':
            quoted = not quoted
        elif c == "," and not quoted:
            index += 1
            if index == field:
                opens = line[i + 1:i + 2] == '"'
                return i + 2 + opens, opens
    return 1, True


class _Pls:
    """Expat handlers: lexemes with their positions; DTDs and entities refused."""

    def __init__(self, name: str, parser: Any) -> None:
        self.name, self.parser = name, parser
        self.path: list[str] = []
        self.language: str | None = None
        self.lexemes: list[dict[str, Any]] = []
        self.text: list[str] | None = None
        self.text_at = (0, 0)

    def fail(self, message: str, at: tuple[int, int] | None = None) -> LexiconFileError:
        line, column = at or (self.parser.CurrentLineNumber,
                              self.parser.CurrentColumnNumber + 1)
        return LexiconFileError(self.name, line, column, message)

    def here(self) -> tuple[int, int]:
        return self.parser.CurrentLineNumber, self.parser.CurrentColumnNumber + 1

    def refuse_dtd(self, *_: Any) -> None:
        raise self.fail("a DTD or entity declaration is not accepted in a lexicon")

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        namespace, _, local = tag.rpartition(" ")
        parent = self.path[-1] if self.path else None
        if parent is not None and (parent == "" or namespace not in ("", PLS_NAMESPACE)):
            self.path.append("")  # another vocabulary's element (and all in it): skipped
            return
        if parent is None and namespace not in ("", PLS_NAMESPACE):
            raise self.fail(f"<{local}> in {namespace} is not a PLS lexicon; the root must "
                            f"be <lexicon xmlns=\"{PLS_NAMESPACE}\">")
        if parent is None:
            if local != "lexicon":
                raise self.fail(f"<{local}> is not a PLS lexicon; the root must be <lexicon>")
            alphabet = attrs.get("alphabet", "")
            if alphabet.lower() != "ipa":
                raise self.fail(f"alphabet {alphabet!r} is not supported; use "
                                "alphabet=\"ipa\"")
            lang = attrs.get(_XML_LANG, "")
            self.language = None if lang in ("", ANY_LANGUAGE) else lang
        elif parent == "lexicon" and local == "lexeme":
            if attrs.get("alphabet", "ipa").lower() != "ipa":
                raise self.fail(f"alphabet {attrs['alphabet']!r} is not supported; use "
                                "alphabet=\"ipa\"")
            self.lexemes.append({"at": self.here(), "graphemes": [], "said": [],
                                 "language": attrs.get(_XML_LANG)})
        elif parent == "lexeme" and local in ("grapheme", "phoneme", "alias"):
            if local == "phoneme" and attrs.get("alphabet", "ipa").lower() != "ipa":
                raise self.fail(f"alphabet {attrs['alphabet']!r} is not supported; use "
                                "alphabet=\"ipa\"")
            self.text, self.text_at = [], self.here()
            if local != "grapheme":
                self.lexemes[-1]["prefer"] = self.lexemes[-1].get("prefer") or (
                    len(self.lexemes[-1]["said"]) if attrs.get("prefer") == "true" else None)
        elif parent in ("lexicon", "lexeme") and local in ("meta", "metadata", "example"):
            pass
        else:
            raise self.fail(f"<{local}> is not allowed in <{parent}>")
        self.path.append(local)

    def end(self, tag: str) -> None:
        local = self.path.pop()
        if local in ("grapheme", "phoneme", "alias") and self.text is not None:
            value = " ".join("".join(self.text).split())
            lexeme = self.lexemes[-1]
            if not value:
                raise self.fail(f"<{local}> is empty", self.text_at)
            if local == "grapheme":
                lexeme["graphemes"].append((value, self.text_at))
            else:
                said = from_ipa_string(value) if local == "phoneme" else value
                lexeme["said"].append((said, self.text_at))
            self.text = None
        elif local == "lexeme":
            lexeme = self.lexemes[-1]
            if not lexeme["graphemes"]:
                raise self.fail("this <lexeme> has no <grapheme>", lexeme["at"])
            if not lexeme["said"]:
                raise self.fail("this <lexeme> has no <phoneme> or <alias>", lexeme["at"])

    def chars(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)


def _read_pls(text: str, name: str) -> list[_Located]:
    parser = expat.ParserCreate(namespace_separator=" ")
    handler = _Pls(name, parser)
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = handler.refuse_dtd
    parser.EntityDeclHandler = handler.refuse_dtd
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = handler.chars
    try:
        parser.Parse(text, True)
    except expat.ExpatError as exc:
        raise LexiconFileError(name, exc.lineno, exc.offset + 1,
                               expat.ErrorString(exc.code)) from None
    out: list[_Located] = []
    for lexeme in handler.lexemes:
        prefer = lexeme.get("prefer") or 0
        said, said_at = lexeme["said"][prefer]
        own = lexeme["language"]
        language = handler.language if own is None else (None if own == ANY_LANGUAGE
                                                         else own)
        out.extend(_Located(Entry(grapheme, said, language, name), at, said_at)
                   for grapheme, at in lexeme["graphemes"])
    return out


# --- writing ------------------------------------------------------------------------------

def lexicon_text(lexicon: Lexicon, fmt: Format) -> str:
    if fmt == "json":
        items = [{**e.to_json(), **({"language": e.language} if e.language else {})}
                 for e in lexicon.entries]
        return json.dumps(items, ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\n")
        with_language = any(e.language for e in lexicon.entries)
        writer.writerow([*_HEADER, "language"] if with_language else _HEADER)
        for e in lexicon.entries:
            writer.writerow([e.text, e.pronunciation, e.language or ""] if with_language
                            else [e.text, e.pronunciation])
        return out.getvalue()
    return _pls_text(lexicon)


def _pls_text(lexicon: Lexicon) -> str:
    # Imported when a PLS file is written: xml.sax.saxutils brings urllib.request, http
    # and email with it (20-45 ms), which every start of the window and the command
    # line paid for a file format they rarely write.
    from xml.sax.saxutils import escape, quoteattr

    languages = [e.language for e in lexicon.entries]
    root = max(set(languages), key=languages.count) if languages else None
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<lexicon version="1.0" xmlns="{PLS_NAMESPACE}" alphabet="ipa" '
             f'xml:lang={quoteattr(root or ANY_LANGUAGE)}>']
    entries = lexicon.entries
    i = 0
    while i < len(entries):
        # Neighbours said the same way share a lexeme, as PLS files are usually written.
        j = i + 1
        while j < len(entries) and (entries[j].pronunciation, entries[j].language) == (
                entries[i].pronunciation, entries[i].language):
            j += 1
        entry = entries[i]
        lang = "" if entry.language == root else \
            f" xml:lang={quoteattr(entry.language or ANY_LANGUAGE)}"
        lines.append(f"  <lexeme{lang}>")
        lines.extend(f"    <grapheme>{escape(e.text)}</grapheme>" for e in entries[i:j])
        phonemes = ipa_string(entry.pronunciation)
        lines.append(f"    <phoneme>{escape(phonemes)}</phoneme>" if phonemes is not None
                     else f"    <alias>{escape(entry.pronunciation)}</alias>")
        lines.append("  </lexeme>")
        i = j
    lines.append("</lexicon>")
    return "\n".join(lines) + "\n"


def write_lexicon(lexicon: Lexicon, path: str | os.PathLike[str], *,
                  overwrite: bool = True) -> None:
    """Write in the format of the extension, atomically."""
    data = lexicon_text(lexicon, format_of(path)).encode("utf-8")
    try:
        with atomic_write(path, overwrite=overwrite) as handle:
            handle.write(data)
    except WriteError as exc:
        raise MarkupError(f"cannot write {path}: {exc}") from None
