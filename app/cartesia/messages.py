"""The Cartesia WebSocket protocol as data: sans-I/O encode and decode.

Both our client (:mod:`app.cartesia.client`) and our server
(:mod:`app.engine.server`) speak through these functions, so the two cannot
drift apart. Field names are exactly the API's.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import uuid
from dataclasses import dataclass, field, fields
from typing import Any, Final

from app.audio.codecs import ENCODINGS, SAMPLE_RATES
from app.cartesia.errors import CartesiaError, ProtocolError
from app.cartesia.models import catalog

log = logging.getLogger(__name__)

DEFAULT_API_VERSION: Final = "2026-03-01"
#: From this version on, errors carry error_code/title/message/request_id/doc_url.
STRUCTURED_ERRORS_SINCE: Final = "2026-03-01"

JSONDict = dict[str, Any]


# --- requests (client -> server) --------------------------------------------


@dataclass(frozen=True)
class OutputFormat:
    encoding: str = "pcm_f32le"
    sample_rate: int = 44100
    container: str = "raw"

    def to_json(self) -> JSONDict:
        return {"container": self.container, "encoding": self.encoding,
                "sample_rate": self.sample_rate}


@dataclass(frozen=True)
class GenerationConfig:
    """sonic-3 family controls; ``None`` leaves a field out of the request."""

    speed: float | None = None
    volume: float | None = None
    emotion: str | None = None

    def to_json(self) -> JSONDict:
        out: JSONDict = {}
        if self.speed is not None:
            out["speed"] = self.speed
        if self.volume is not None:
            out["volume"] = self.volume
        if self.emotion is not None:
            out["emotion"] = self.emotion
        return out


@dataclass(frozen=True)
class GenerationRequest:
    """One input of a context: the first one, or one that continues it."""

    model_id: str
    transcript: str
    voice_id: str
    context_id: str
    output_format: OutputFormat = field(default_factory=OutputFormat)
    language: str | None = "en"
    add_timestamps: bool = True
    add_phoneme_timestamps: bool = False
    use_normalized_timestamps: bool = False
    continue_: bool = False
    flush: bool = False
    max_buffer_delay_ms: int | None = None
    generation_config: GenerationConfig | None = None
    pronunciation_dict_id: str | None = None

    def to_json(self) -> JSONDict:
        out: JSONDict = {
            "model_id": self.model_id,
            "transcript": self.transcript,
            "voice": {"mode": "id", "id": self.voice_id},
            "context_id": self.context_id,
            "output_format": self.output_format.to_json(),
            "add_timestamps": self.add_timestamps,
            "add_phoneme_timestamps": self.add_phoneme_timestamps,
            "use_normalized_timestamps": self.use_normalized_timestamps,
            "continue": self.continue_,
        }
        if self.language is not None:
            out["language"] = self.language
        if self.flush:
            out["flush"] = True
        if self.max_buffer_delay_ms is not None:
            out["max_buffer_delay_ms"] = self.max_buffer_delay_ms
        if self.generation_config is not None:
            config = self.generation_config.to_json()
            if config:
                out["generation_config"] = config
        if self.pronunciation_dict_id is not None:
            out["pronunciation_dict_id"] = self.pronunciation_dict_id
        return out


@dataclass(frozen=True)
class CancelRequest:
    context_id: str

    def to_json(self) -> JSONDict:
        return {"context_id": self.context_id, "cancel": True}


ClientMessage = GenerationRequest | CancelRequest


# --- server messages ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Chunk:
    context_id: str
    data: bytes
    step_time: float | None = None
    flush_id: int | None = None

    def to_json(self) -> JSONDict:
        out: JSONDict = {"type": "chunk", "data": base64.b64encode(self.data).decode("ascii"),
                         "done": False, "status_code": 206, "context_id": self.context_id}
        if self.step_time is not None:
            out["step_time"] = self.step_time
        if self.flush_id is not None:
            out["flush_id"] = self.flush_id
        return out


# The client makes a Chunk for every 20-40 ms of audio, and a frozen dataclass's
# ``__init__`` sets each field through ``object.__setattr__``: that cost more than
# anything else it did per chunk. ``_chunk`` builds the same frozen object by setting
# the slots themselves, which must then be exactly the dataclass's fields.
_CHUNK_FIELDS: Final = ("context_id", "data", "step_time", "flush_id")
if tuple(f.name for f in fields(Chunk)) != _CHUNK_FIELDS:
    raise TypeError("Chunk's fields changed: change _CHUNK_FIELDS and _chunk with them")
_new = object.__new__
(_set_chunk_context_id, _set_chunk_data, _set_chunk_step_time,
 _set_chunk_flush_id) = (Chunk.__dict__[name].__set__ for name in _CHUNK_FIELDS)


@dataclass(frozen=True)
class WordTimestamps:
    """Words with start/end in seconds from the start of the context."""

    context_id: str
    words: tuple[str, ...]
    start: tuple[float, ...]
    end: tuple[float, ...]

    def to_json(self) -> JSONDict:
        return {"type": "timestamps", "done": False, "status_code": 206,
                "context_id": self.context_id,
                "word_timestamps": {"words": list(self.words), "start": list(self.start),
                                    "end": list(self.end)}}


@dataclass(frozen=True)
class PhonemeTimestamps:
    context_id: str
    phonemes: tuple[str, ...]
    start: tuple[float, ...]
    end: tuple[float, ...]

    def to_json(self) -> JSONDict:
        return {"type": "phoneme_timestamps", "done": False, "status_code": 206,
                "context_id": self.context_id,
                "phoneme_timestamps": {"phonemes": list(self.phonemes),
                                       "start": list(self.start), "end": list(self.end)}}


@dataclass(frozen=True)
class FlushDone:
    context_id: str
    flush_id: int

    def to_json(self) -> JSONDict:
        return {"type": "flush_done", "done": False, "flush_done": True,
                "flush_id": self.flush_id, "status_code": 206, "context_id": self.context_id}


@dataclass(frozen=True)
class Done:
    context_id: str

    def to_json(self) -> JSONDict:
        return {"type": "done", "done": True, "status_code": 206, "context_id": self.context_id}


@dataclass(frozen=True)
class ErrorMessage:
    """An in-band error; ``done`` is true on the wire but it is never a normal end."""

    context_id: str | None
    status_code: int
    message: str
    error_code: str | None = None
    title: str | None = None
    request_id: str | None = None
    doc_url: str | None = None

    def to_json(self, api_version: str = DEFAULT_API_VERSION) -> JSONDict:
        # The API leaves doc_url and context_id out when it has none (never null).
        out: JSONDict = {"type": "error", "done": True, "status_code": self.status_code}
        if api_version >= STRUCTURED_ERRORS_SINCE:
            out.update({"error_code": self.error_code, "title": self.title,
                        "message": self.message, "request_id": self.request_id})
            if self.doc_url is not None:
                out["doc_url"] = self.doc_url
        else:
            out["error"] = f"{self.title}: {self.message}" if self.title else self.message
        if self.context_id is not None:
            out["context_id"] = self.context_id
        return out


ServerMessage = Chunk | WordTimestamps | PhonemeTimestamps | FlushDone | Done | ErrorMessage


def encode(message: ServerMessage | ClientMessage) -> str:
    return json.dumps(message.to_json(), ensure_ascii=False, separators=(",", ":"))


def encode_error(error: ErrorMessage, api_version: str = DEFAULT_API_VERSION) -> str:
    """An error in the shape of ``api_version``: structured, or ``{"error": ...}`` before.

    ASCII with escapes: an error may quote what the client sent, even a lone surrogate,
    which has no UTF-8 form and would make the frame unsendable.
    """
    return json.dumps(error.to_json(api_version), ensure_ascii=True, separators=(",", ":"))


# --- decoding server messages (client side) ----------------------------------


def _load_object(frame: str | bytes) -> JSONDict:
    try:
        obj = json.loads(frame)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"server sent a frame that is not JSON: {_preview(frame)}") from exc
    if not isinstance(obj, dict):
        raise ProtocolError(f"server sent JSON that is not an object: {_preview(frame)}")
    return obj


def _preview(frame: str | bytes) -> str:
    text = frame if isinstance(frame, str) else frame[:80].decode("utf-8", "replace")
    return repr(text[:80] + ("…" if len(text) > 80 else ""))


def _require(obj: JSONDict, key: str, kind: type | tuple[type, ...]) -> Any:
    if key not in obj:
        raise ProtocolError(f"{obj.get('type', 'message')!s} message lacks {key!r}")
    value = obj[key]
    if not isinstance(value, kind) or (kind in (int, float) and isinstance(value, bool)):
        raise ProtocolError(f"{obj.get('type', 'message')!s} message has a bad {key!r}: "
                            f"{type(value).__name__}")
    return value


def _times(block: JSONDict, names_key: str, kind: str) -> tuple[
        tuple[str, ...], tuple[float, ...], tuple[float, ...]]:
    names = block.get(names_key)
    start = block.get("start")
    end = block.get("end")
    if not (isinstance(names, list) and isinstance(start, list) and isinstance(end, list)):
        raise ProtocolError(f"{kind} lack {names_key}/start/end lists")
    if not len(names) == len(start) == len(end):
        raise ProtocolError(f"{kind} lists differ in length: {len(names)}, {len(start)}, "
                            f"{len(end)}")
    try:
        return (tuple(str(n) for n in names), tuple(float(s) for s in start),
                tuple(float(e) for e in end))
    except (TypeError, ValueError) as exc:
        raise ProtocolError(f"{kind} hold a value that is not a number") from exc


#: Parses one JSON document without :func:`json.loads`'s wrapper (its type checks and
#: two whitespace scans); anything it does not take goes through ``json.loads``.
_JSON = json.JSONDecoder()


def decode_server_message(frame: str | bytes) -> ServerMessage | None:
    """Decode one frame from the server; ``None`` for a type we do not know."""
    # Nearly every frame is a chunk: a well-formed one takes the fewest steps (a chunk
    # costs less than a tenth of a millisecond, so a few microseconds show). Anything
    # else, or a chunk with a field of the wrong type, goes through every check below,
    # so what is reported for a bad frame does not depend on this shortcut.
    obj: object = None
    if type(frame) is str:
        try:
            obj, end = _JSON.raw_decode(frame)
        except ValueError:
            obj = None
        else:
            if end != len(frame):
                obj = None  # trailing whitespace or data: json.loads decides
    if type(obj) is dict and obj.get("type") == "chunk":
        context_id = obj.get("context_id")
        data = obj.get("data")
        if type(context_id) is str and type(data) is str:
            return _chunk(obj, context_id, data)
    return _decode_checked(frame if obj is None else obj, frame)


def _decode_checked(parsed: object, frame: str | bytes) -> ServerMessage | None:
    """Every check, for a frame (``parsed`` is its JSON, or the frame itself if not parsed)."""
    obj = _load_object(frame) if parsed is frame else parsed
    if not isinstance(obj, dict):
        raise ProtocolError(f"server sent JSON that is not an object: {_preview(frame)}")
    kind = _require(obj, "type", str)
    raw_context = obj.get("context_id")
    context_id = raw_context if isinstance(raw_context, str) else None
    # An error is checked first: it also says done=true.
    if kind == "error":
        status = obj.get("status_code")
        message = obj.get("message") or obj.get("error") or obj.get("title") or "unknown error"
        return ErrorMessage(
            context_id=context_id,
            status_code=status if isinstance(status, int) else 500,
            message=str(message),
            error_code=_opt_str(obj.get("error_code")),
            title=_opt_str(obj.get("title")),
            request_id=_opt_str(obj.get("request_id")),
            doc_url=_opt_str(obj.get("doc_url")),
        )
    if context_id is None:
        raise ProtocolError(f"{kind} message lacks 'context_id'")
    if kind == "chunk":
        return _chunk(obj, context_id, _require(obj, "data", str))
    if kind == "timestamps":
        block = _require(obj, "word_timestamps", dict)
        words, start, end = _times(block, "words", "word timestamps")
        return WordTimestamps(context_id, words, start, end)
    if kind == "phoneme_timestamps":
        block = _require(obj, "phoneme_timestamps", dict)
        phonemes, start, end = _times(block, "phonemes", "phoneme timestamps")
        return PhonemeTimestamps(context_id, phonemes, start, end)
    if kind == "flush_done":
        return FlushDone(context_id, _require(obj, "flush_id", int))
    if kind == "done":
        return Done(context_id)
    log.debug("skipping server message of unknown type %r", kind)
    return None


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


_NUMBER: Final = (int, float)  # a tuple: ``int | float`` would build a union per call


def _chunk(obj: JSONDict, context_id: str, data: str) -> Chunk:
    try:
        # a2b_base64 in strict mode rejects what b64decode(validate=True) does,
        # in C, without the regex pass: this runs for every chunk.
        audio = binascii.a2b_base64(data, strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise ProtocolError("chunk data is not valid base64") from exc
    step = obj.get("step_time")
    flush_id = obj.get("flush_id")
    # Chunk(context_id, audio, step, flush_id) in effect; see _CHUNK_FIELDS.
    chunk: Chunk = _new(Chunk)
    _set_chunk_context_id(chunk, context_id)
    _set_chunk_data(chunk, audio)
    _set_chunk_step_time(chunk, float(step) if isinstance(step, _NUMBER) else None)
    _set_chunk_flush_id(chunk, flush_id if isinstance(flush_id, int) else None)
    return chunk


# --- decoding client messages (server side) ----------------------------------

#: Deepest nesting a request may have; the API's requests go three levels deep.
MAX_JSON_DEPTH: Final = 16
#: ``max_buffer_delay_ms`` the API accepts, in milliseconds.
BUFFER_DELAY_RANGE: Final = (0, 5000)
_SURROGATE = re.compile("[\ud800-\udfff]")


class InvalidRequest(CartesiaError):
    """A client message our server rejects; becomes an in-band error message (or an
    HTTP error on REST). The message names the field at fault."""

    def __init__(self, message: str, *, context_id: str | None = None, status: int = 400,
                 code: str = "invalid_request", title: str = "Invalid request") -> None:
        super().__init__(message)
        self.message = message
        self.context_id = context_id
        self.status = status
        self.code = code
        self.title = title


def parse_request(frame: str | bytes) -> JSONDict:
    """A request's JSON object, or :class:`InvalidRequest`: not JSON, not an object, or
    nested deeper than :data:`MAX_JSON_DEPTH` (never a ``RecursionError``)."""
    try:
        obj = json.loads(frame)
    except RecursionError:
        raise InvalidRequest(f"message is nested too deeply (at most {MAX_JSON_DEPTH} "
                             "levels)") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequest("message is not valid JSON") from exc
    if not isinstance(obj, dict):
        raise InvalidRequest("message must be a JSON object")
    if _too_deep(obj, MAX_JSON_DEPTH):
        raise InvalidRequest(f"message is nested too deeply (at most {MAX_JSON_DEPTH} "
                             "levels)", context_id=_opt_str(obj.get("context_id")))
    return obj


def _too_deep(obj: object, limit: int) -> bool:
    stack: list[tuple[object, int]] = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: list[object] = list(value.values())
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def decode_client_message(frame: str | bytes) -> ClientMessage:
    """Parse a request as the real API does; raise :class:`InvalidRequest` if unusable."""
    return decode_client_object(parse_request(frame))


def decode_client_object(obj: JSONDict) -> ClientMessage:
    """A request from its JSON object; every field checked for type and range, and a
    field at fault named in the :class:`InvalidRequest`."""
    context_id = obj.get("context_id")
    if context_id is not None and not isinstance(context_id, str):
        raise InvalidRequest("context_id must be a string")
    if context_id is not None:
        _check_text(context_id, "context_id", context_id)
    fields = _Fields(obj, context_id or None)
    if fields.flag("cancel"):
        if not context_id:
            raise InvalidRequest("cancel needs a context_id")
        return CancelRequest(context_id)
    if not context_id:
        # The real API generates one; our server does the same for compatibility.
        context_id = fields.context_id = str(uuid.uuid4())

    model_id = fields.text("model_id", required=True)
    transcript = fields.text("transcript", required=True)
    if obj.get("voice") is None:
        raise InvalidRequest("voice is missing: it is required", context_id=context_id)
    voice = obj["voice"]
    # Current versions take a bare id or {"id": ...}; older ones {"mode": "id", "id": ...}.
    if isinstance(voice, str):
        voice = {"mode": "id", "id": voice}
    if not isinstance(voice, dict) or voice.get("mode", "id") != "id" \
            or not isinstance(voice.get("id"), str):
        raise InvalidRequest("voice must be an id or {\"id\": ...}, not "
                             f"{_shown(voice)}; embeddings were removed on 2026-06-01",
                             context_id=context_id)
    _check_text(voice["id"], "voice.id", context_id)
    fmt = fields.object("output_format", required=True) or {}
    encoding = fmt.get("encoding")
    rate = fmt.get("sample_rate")
    if fmt.get("container", "raw") != "raw":
        raise InvalidRequest(f"output_format.container {_shown(fmt.get('container'))} is "
                             "not available on the WebSocket; use \"raw\"",
                             context_id=context_id)
    if encoding not in ENCODINGS:
        raise InvalidRequest(f"output_format.encoding {_shown(encoding)} is not supported; "
                             f"use one of {', '.join(ENCODINGS)}", context_id=context_id)
    if isinstance(rate, bool) or not isinstance(rate, int) or rate not in SAMPLE_RATES:
        raise InvalidRequest(f"output_format.sample_rate {_shown(rate)} is not supported; "
                             f"use one of {', '.join(map(str, SAMPLE_RATES))}",
                             context_id=context_id)
    config = fields.object("generation_config")
    gen_config = None
    if config is not None:
        inner = _Fields(config, context_id, prefix="generation_config.")
        gen_config = GenerationConfig(speed=inner.ranged("speed"),
                                      volume=inner.ranged("volume"),
                                      emotion=inner.text("emotion"))
    delay = obj.get("max_buffer_delay_ms")
    low, high = BUFFER_DELAY_RANGE
    if delay is not None and (isinstance(delay, bool) or not isinstance(delay, int)
                              or not low <= delay <= high):
        raise InvalidRequest(f"max_buffer_delay_ms must be a whole number of milliseconds "
                             f"from {low} to {high}, not {_shown(delay)}",
                             context_id=context_id)
    return GenerationRequest(
        model_id=model_id or "",
        transcript=transcript or "",
        voice_id=voice["id"],
        context_id=context_id,
        output_format=OutputFormat(encoding=str(encoding), sample_rate=rate),
        language=fields.text("language"),
        add_timestamps=fields.flag("add_timestamps"),
        add_phoneme_timestamps=fields.flag("add_phoneme_timestamps"),
        use_normalized_timestamps=fields.flag("use_normalized_timestamps"),
        continue_=fields.flag("continue"),
        flush=fields.flag("flush"),
        max_buffer_delay_ms=delay,
        generation_config=gen_config,
        pronunciation_dict_id=fields.text("pronunciation_dict_id"),
    )


class _Fields:
    """Typed reads of a request object's fields; ``null`` counts as absent."""

    def __init__(self, obj: JSONDict, context_id: str | None, prefix: str = "") -> None:
        self.obj = obj
        self.context_id = context_id
        self.prefix = prefix

    def _fail(self, key: str, must: str) -> InvalidRequest:
        return InvalidRequest(f"{self.prefix}{key} {must}, not {_shown(self.obj[key])}",
                              context_id=self.context_id)

    def _get(self, key: str, required: bool) -> object:
        value = self.obj.get(key)
        if value is None and required:
            raise InvalidRequest(f"{self.prefix}{key} is missing: it is required",
                                 context_id=self.context_id)
        return value

    def text(self, key: str, *, required: bool = False) -> str | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self._fail(key, "must be a string")
        _check_text(value, self.prefix + key, self.context_id)
        return value

    def flag(self, key: str) -> bool:
        value = self._get(key, False)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self._fail(key, "must be true or false")
        return value

    def object(self, key: str, *, required: bool = False) -> JSONDict | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self._fail(key, "must be an object")
        return value

    def ranged(self, key: str) -> float | None:
        """A number within the catalog's range for ``key`` (speed, volume)."""
        value = self._get(key, False)
        if value is None:
            return None
        low, high = catalog().ranges[key]
        # Compared before any float(): 10**400 would overflow it; NaN fails every test.
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not low <= value <= high:
            raise self._fail(key, f"must be a number from {low:g} to {high:g}")
        return float(value)


def _check_text(value: str, name: str, context_id: str | None) -> None:
    """Refuse a string that cannot be sent back as UTF-8 (a lone surrogate, which JSON's
    ``\\ud800`` escape can carry): echoed in a reply, it would break the socket."""
    bad = _SURROGATE.search(value)
    if bad is not None:
        raise InvalidRequest(f"{name} is not valid Unicode: character {bad.start() + 1} is a "
                             f"lone surrogate (U+{ord(bad.group()):04X})",
                             context_id=context_id)


def _shown(value: object) -> str:
    """A value for an error message, cut short (``10**400`` has 401 digits)."""
    text = json.dumps(value, ensure_ascii=True) if not isinstance(value, float) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
