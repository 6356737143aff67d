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
from dataclasses import dataclass, field
from typing import Any, Final

from app.audio.codecs import ENCODINGS, SAMPLE_RATES
from app.cartesia.errors import ProtocolError

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
    """An error in the shape of ``api_version``: structured, or ``{"error": ...}`` before."""
    return json.dumps(error.to_json(api_version), ensure_ascii=False, separators=(",", ":"))


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


def decode_server_message(frame: str | bytes) -> ServerMessage | None:
    """Decode one frame from the server; ``None`` for a type we do not know."""
    obj = _load_object(frame)
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
        data = _require(obj, "data", str)
        try:
            # a2b_base64 in strict mode rejects what b64decode(validate=True) does,
            # in C, without the regex pass: this runs for every chunk.
            audio = binascii.a2b_base64(data, strict_mode=True)
        except (binascii.Error, ValueError) as exc:
            raise ProtocolError("chunk data is not valid base64") from exc
        step = obj.get("step_time")
        flush_id = obj.get("flush_id")
        return Chunk(context_id, audio,
                     float(step) if isinstance(step, int | float) else None,
                     flush_id if isinstance(flush_id, int) else None)
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


# --- decoding client messages (server side) ----------------------------------


class InvalidRequest(Exception):
    """A client message our server rejects; becomes an in-band error message."""

    def __init__(self, message: str, *, context_id: str | None = None, status: int = 400,
                 code: str = "invalid_request", title: str = "Invalid request") -> None:
        super().__init__(message)
        self.message = message
        self.context_id = context_id
        self.status = status
        self.code = code
        self.title = title


def decode_client_message(frame: str | bytes) -> ClientMessage:
    """Parse a request as the real API does; raise :class:`InvalidRequest` if unusable."""
    try:
        obj = json.loads(frame)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequest("message is not valid JSON") from exc
    if not isinstance(obj, dict):
        raise InvalidRequest("message must be a JSON object")
    context_id = obj.get("context_id")
    if context_id is not None and not isinstance(context_id, str):
        raise InvalidRequest("context_id must be a string")
    if obj.get("cancel") is True:
        if not context_id:
            raise InvalidRequest("cancel needs a context_id")
        return CancelRequest(context_id)
    if not context_id:
        # The real API generates one; our server does the same for compatibility.
        import uuid

        context_id = str(uuid.uuid4())

    def need(key: str, kind: type) -> Any:
        if key not in obj:
            raise InvalidRequest(f"missing required field {key!r}", context_id=context_id)
        value = obj[key]
        if not isinstance(value, kind):
            raise InvalidRequest(f"field {key!r} must be of type {kind.__name__}",
                                 context_id=context_id)
        return value

    model_id = need("model_id", str)
    transcript = need("transcript", str)
    if "voice" not in obj:
        raise InvalidRequest("missing required field 'voice'", context_id=context_id)
    voice = obj["voice"]
    # Current versions take a bare id or {"id": ...}; older ones {"mode": "id", "id": ...}.
    if isinstance(voice, str):
        voice = {"mode": "id", "id": voice}
    if not isinstance(voice, dict) or voice.get("mode", "id") != "id" \
            or not isinstance(voice.get("id"), str):
        raise InvalidRequest("voice must be an id or {\"id\": ...}; embeddings were "
                             "removed on 2026-06-01", context_id=context_id)
    fmt = need("output_format", dict)
    encoding = fmt.get("encoding")
    rate = fmt.get("sample_rate")
    if fmt.get("container", "raw") != "raw":
        raise InvalidRequest("the WebSocket only sends container 'raw'", context_id=context_id)
    if encoding not in ENCODINGS:
        raise InvalidRequest(f"unsupported encoding {encoding!r}; use one of "
                             f"{', '.join(ENCODINGS)}", context_id=context_id)
    if rate not in SAMPLE_RATES:
        raise InvalidRequest(f"unsupported sample_rate {rate!r}; use one of "
                             f"{', '.join(map(str, SAMPLE_RATES))}", context_id=context_id)
    config = obj.get("generation_config")
    gen_config = None
    if isinstance(config, dict):
        gen_config = GenerationConfig(
            speed=_opt_float(config.get("speed"), "generation_config.speed", context_id),
            volume=_opt_float(config.get("volume"), "generation_config.volume", context_id),
            emotion=_opt_str(config.get("emotion")),
        )
    delay = obj.get("max_buffer_delay_ms")
    language = obj.get("language")
    return GenerationRequest(
        model_id=model_id,
        transcript=transcript,
        voice_id=voice["id"],
        context_id=context_id,
        output_format=OutputFormat(encoding=str(encoding), sample_rate=int(rate)),
        language=language if isinstance(language, str) else None,
        add_timestamps=bool(obj.get("add_timestamps", False)),
        add_phoneme_timestamps=bool(obj.get("add_phoneme_timestamps", False)),
        use_normalized_timestamps=bool(obj.get("use_normalized_timestamps", False)),
        continue_=bool(obj.get("continue", False)),
        flush=bool(obj.get("flush", False)),
        max_buffer_delay_ms=delay if isinstance(delay, int) else None,
        generation_config=gen_config,
        pronunciation_dict_id=_opt_str(obj.get("pronunciation_dict_id")),
    )


def _opt_float(value: object, name: str, context_id: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidRequest(f"{name} must be a number", context_id=context_id)
    return float(value)
