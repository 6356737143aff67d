"""Errors of the Cartesia layer (client side and what our server reports).

::

    CartesiaError
    ├── ConfigError            a setting is unusable (bad base URL, no key)
    ├── InvalidText            a transcript that cannot be sent (not encodable as UTF-8)
    ├── AuthError              401: key missing or rejected
    ├── PermissionDenied       402/403: plan or permission limits
    ├── NotFound               404: unknown voice, model, dictionary
    ├── RateLimited            429 (REST, upgrade) or concurrency_limited (in-band)
    ├── ServerError            an error the API reported (status, code, title, message, request id)
    ├── TransportError
    │   ├── ConnectError       could not reach the server
    │   ├── ConnectionLost     the socket closed or dropped mid-generation
    │   └── ProtocolError      a frame we cannot understand
    ├── Timeout                no first chunk / no activity in time
    └── Cancelled              the generation was cancelled by us

Messages never contain the API key (see :mod:`app.credentials` for redaction).
"""

from __future__ import annotations

from app.errors import VoiceboothError


class CartesiaError(VoiceboothError):
    """Base class of every Cartesia-related error."""


class ConfigError(CartesiaError):
    """A setting cannot be used as given."""


class InvalidText(CartesiaError):
    """A transcript that cannot go on the wire; found before anything is sent, so the
    other generations on the socket never notice."""

    def __init__(self, text: str, exc: UnicodeEncodeError) -> None:
        self.offset = exc.start
        line = text.count("\n", 0, exc.start) + 1
        column = exc.start - (text.rfind("\n", 0, exc.start) + 1) + 1
        bad = text[exc.start:exc.end].encode("utf-8", "backslashreplace").decode("ascii")
        super().__init__(f"the text cannot be sent: character {exc.start + 1} (line {line}, "
                         f"column {column}) is {bad}, which is not a valid character (text "
                         "that was not UTF-8, read as if it were)")


class ServerError(CartesiaError):
    """An error reported by the API, with every fact it gave."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        title: str | None = None,
        request_id: str | None = None,
        context_id: str | None = None,
        doc_url: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.title = title
        self.detail = message
        self.request_id = request_id
        self.context_id = context_id
        self.doc_url = doc_url
        head = f"{title}: {message}" if title and title not in message else message
        extra = [f"HTTP {status}"]
        if code:
            extra.append(code)
        if request_id:
            extra.append(f"request {request_id}")
        super().__init__(f"{head} ({', '.join(extra)})")


class AuthError(ServerError):
    """401: the key was missing or rejected."""


class PermissionDenied(ServerError):
    """402/403: the plan or the key's permissions do not allow this."""


class NotFound(ServerError):
    """404: the voice, model or dictionary does not exist."""


class RateLimited(ServerError):
    """429, or too many concurrent contexts for the plan."""

    retry_after: float | None = None


class TransportError(CartesiaError):
    """The connection failed underneath the API."""


class ConnectError(TransportError):
    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        super().__init__(f"cannot connect to {url}: {reason}")


class ConnectionLost(TransportError):
    def __init__(self, reason: str, *, code: int | None = None) -> None:
        self.code = code
        suffix = f" (close code {code})" if code is not None else ""
        super().__init__(f"connection to the server was lost: {reason}{suffix}")


class ProtocolError(TransportError):
    """A frame that is not JSON, or lacks a required field."""


class Timeout(CartesiaError):
    def __init__(self, what: str, seconds: float) -> None:
        self.what = what
        self.seconds = seconds
        super().__init__(f"no {what} from the server within {seconds:g} s")


class Cancelled(CartesiaError):
    def __init__(self, context_id: str) -> None:
        self.context_id = context_id
        super().__init__(f"generation {context_id} was cancelled")


def error_for_status(status: int, message: str, **facts: str | None) -> ServerError:
    """The most specific :class:`ServerError` subclass for an HTTP-like status."""
    cls: type[ServerError]
    if status == 401:
        cls = AuthError
    elif status in (402, 403):
        cls = PermissionDenied
    elif status == 404:
        cls = NotFound
    elif status == 429 or facts.get("code") == "concurrency_limited":
        cls = RateLimited
    else:
        cls = ServerError
    return cls(status, message, **facts)
