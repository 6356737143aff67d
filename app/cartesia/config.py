"""How to reach the API: base URL, key, version and timeouts, as one value."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlsplit, urlunsplit

from app.cartesia.errors import ConfigError
from app.cartesia.messages import DEFAULT_API_VERSION

DEFAULT_BASE_URL: Final = "https://api.cartesia.ai"


@dataclass(frozen=True)
class Timeouts:
    """Seconds; like httpx's ``Timeout(5.0, connect=10.0)``, one small value object."""

    connect: float = 10.0
    first_chunk: float = 10.0
    inactivity: float = 10.0
    #: One REST request (one attempt).
    rest: float = 10.0
    #: A REST call as a whole, retries and their waits included: a server that
    #: accepts connections and never answers fails within this, not attempts × rest.
    rest_total: float = 15.0


@dataclass(frozen=True)
class ClientConfig:
    base_url: str = DEFAULT_BASE_URL
    api_key: str | None = field(default=None, repr=False)
    api_version: str = DEFAULT_API_VERSION
    timeouts: Timeouts = field(default_factory=Timeouts)

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"base URL {self.base_url!r} must look like "
                              "https://api.cartesia.ai or http://127.0.0.1:PORT")

    def http_url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def ws_url(self, path: str = "/tts/websocket") -> str:
        """The WebSocket URL, derived from the base URL (http→ws, https→wss)."""
        parts = urlsplit(self.base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + path, "", ""))

    def headers(self) -> dict[str, str]:
        headers = {"Cartesia-Version": self.api_version}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def same_origin(self, url: str) -> bool:
        """Whether ``url`` is on the API's own server: scheme, host and port all equal.

        Only then may the key go with it. A prefix test would send it to
        ``https://api.cartesia.ai.evil/``; ports are compared with the scheme's
        default filled in, so ``https://host`` and ``https://host:443`` are one origin.
        """
        return _origin(url) == _origin(self.base_url)

    @property
    def is_loopback(self) -> bool:
        host = urlsplit(self.base_url).hostname or ""
        return host in ("localhost", "::1") or host.startswith("127.")


_DEFAULT_PORTS: Final = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def _origin(url: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a port that is not a number
        return None
    scheme = parts.scheme.lower()
    if not parts.hostname or scheme not in _DEFAULT_PORTS:
        return None
    return scheme, parts.hostname.lower(), port if port is not None else _DEFAULT_PORTS[scheme]
