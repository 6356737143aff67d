"""Piper's model with its alignment output, built once and kept in the cache folder.

Piper reports how many samples each phoneme lasts only if the model's ``Ceil``
tensor (the phoneme widths) is one of the graph's outputs. Piper's own way
(``include_alignments=True``) loads the model with the ``onnx`` package and patches it
in memory at every start: +103 MB of imports and ~43 MB of heap kept for good. The
patch is one ``ValueInfoProto`` naming that tensor appended to ``graph.output``, so it
is made here on the protobuf wire format with the standard library, written once to
``<cache>/piper/<model>-<hash of the model>.onnx`` (atomically, with the patched
file's own SHA-256 beside it), and onnxruntime loads that file by path.

A cache file whose hash does not match (cut short, damaged, edited) is rebuilt; a
cache folder that cannot be written costs the patched bytes in memory, never the voice.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from app.atomic import AtomicFile, WriteError, write_bytes
from app.engine.synth.errors import SynthesizerUnavailable

log = logging.getLogger(__name__)

#: ONNX field numbers (onnx.proto): ModelProto.graph, GraphProto.node and .output,
#: NodeProto.output and .op_type, ValueInfoProto.name.
_MODEL_GRAPH: Final = 7
_GRAPH_NODE: Final = 1
_GRAPH_OUTPUT: Final = 12
_NODE_OUTPUT: Final = 2
_NODE_OP_TYPE: Final = 4
_VALUE_NAME: Final = 1
_LEN: Final = 2  # wire type of strings and embedded messages
_WRITE_BLOCK: Final = 1 << 20


class ModelFormatError(SynthesizerUnavailable):
    """The model file is not an ONNX model this patch understands."""


def _varint(data: memoryview, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise ModelFormatError("the model file ends inside a number")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _fields(data: memoryview, start: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """``(field number, tag offset, value start, value end)`` of a message's fields; the
    value of a length-delimited field is its payload."""
    pos = start
    while pos < end:
        tag_at = pos
        key, pos = _varint(data, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value_start = pos
            _, pos = _varint(data, pos)
        elif wire == 1:
            value_start, pos = pos, pos + 8
        elif wire == 5:
            value_start, pos = pos, pos + 4
        elif wire == _LEN:
            length, value_start = _varint(data, pos)
            pos = value_start + length
        else:
            raise ModelFormatError(f"unexpected protobuf wire type {wire}")
        if pos > end:
            raise ModelFormatError("the model file is cut short")
        yield field, tag_at, value_start, pos


def _field(number: int, payload: bytes) -> bytes:
    return _encode_varint(number << 3 | _LEN) + _encode_varint(len(payload)) + payload


def alignment_patch(model: bytes) -> tuple[list[bytes | memoryview], str] | None:
    """The patched model as pieces to write in order, and the tensor made an output;
    ``None`` if the model already has it as an output (it is then used as it is).

    As ``piper.patch_voice_with_alignment.add_alignment_output``: the one ``Ceil`` node's
    output of the main graph becomes a graph output.
    """
    data = memoryview(model)
    graph = next(((tag, start, end) for field, tag, start, end in _fields(data, 0, len(data))
                  if field == _MODEL_GRAPH), None)
    if graph is None:
        raise ModelFormatError("the model has no graph")
    tag, start, end = graph
    ceil: set[str] = set()
    outputs: set[str] = set()
    for field, _, value_start, value_end in _fields(data, start, end):
        if field == _GRAPH_NODE:
            node = list(_fields(data, value_start, value_end))
            if any(f == _NODE_OP_TYPE and bytes(data[a:b]) == b"Ceil" for f, _, a, b in node):
                ceil.update(bytes(data[a:b]).decode() for f, _, a, b in node
                            if f == _NODE_OUTPUT)
        elif field == _GRAPH_OUTPUT:
            outputs.update(bytes(data[a:b]).decode()
                           for f, _, a, b in _fields(data, value_start, value_end)
                           if f == _VALUE_NAME)
    if len(ceil) != 1:
        raise ModelFormatError(f"expected one Ceil tensor (phoneme widths), found {len(ceil)}")
    name = next(iter(ceil))
    if name in outputs:
        return None
    extra = _field(_GRAPH_OUTPUT, _field(_VALUE_NAME, name.encode()))
    header = _encode_varint(_MODEL_GRAPH << 3 | _LEN) + _encode_varint(end - start + len(extra))
    return [data[:tag], header, data[start:end], extra, data[end:]], name


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def default_cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("voicebooth", appauthor=False)) / "piper"


class PatchedModels:
    """Patched models in ``folder`` (default: the user's cache folder), one per source
    model content; :meth:`model_for` builds the one it needs the first time."""

    def __init__(self, folder: Path | None = None) -> None:
        self._folder = folder
        #: How many models were built by this object (a second load builds none).
        self.built = 0

    @property
    def folder(self) -> Path:
        # Found when first needed: constructing the synthesizer stays import-free.
        if self._folder is None:
            self._folder = default_cache_dir()
        return self._folder

    def cache_path(self, source: Path, digest: str) -> Path:
        return self.folder / f"{source.stem}-{digest[:16]}.onnx"

    def model_for(self, source: Path, *, rebuild: bool = False) -> Path | bytes:
        """What onnxruntime should load: the cached patched file, the source itself if
        it needs no patch, or (the cache cannot be written) the patched bytes.
        ``rebuild`` ignores a cached file (onnxruntime refused it)."""
        digest = _sha256(source)
        target = self.cache_path(source, digest)
        stamp = target.with_name(target.name + ".sha256")
        if not rebuild and self._intact(target, stamp):
            return target
        model = source.read_bytes()
        patch = alignment_patch(model)
        if patch is None:
            return source
        pieces, tensor = patch
        self.built += 1
        log.info("patching %s for alignments (tensor %s) into %s", source.name, tensor, target)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            out = AtomicFile(target)
            hasher = hashlib.sha256()
            for piece in pieces:
                for at in range(0, len(piece), _WRITE_BLOCK):  # no second copy of the model
                    block = bytes(piece[at:at + _WRITE_BLOCK])
                    out.write(block)
                    hasher.update(block)
            out.commit()
            # The hash is written last: a file without it is one whose write did not end.
            write_bytes(stamp, hasher.hexdigest().encode())
        except (OSError, WriteError) as exc:
            log.warning("cannot keep the patched model in %s (%s): patching in memory",
                        self.folder, exc)
            return b"".join(pieces)
        return target

    def _intact(self, target: Path, stamp: Path) -> bool:
        try:
            expected = stamp.read_text().strip()
            intact = _sha256(target) == expected
        except OSError:
            return False
        if not intact:
            log.warning("the cached model %s is damaged: rebuilding it", target)
            with contextlib.suppress(OSError):
                stamp.unlink()
        return intact
