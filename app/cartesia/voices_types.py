"""The Voice object of the REST API, as plain data (shape of API version 2026-03-01)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final

#: The fields :meth:`Voice.from_json` reads; the others are kept in ``extra``.
_KNOWN: Final = frozenset({
    "id", "name", "description", "language", "gender", "is_owner", "created_at", "access",
    "visibility", "tagline", "accent", "country", "locales", "preview_file_url", "is_public"})


@dataclass(frozen=True)
class Locale:
    locale: str
    is_native: bool


@dataclass(frozen=True)
class Voice:
    id: str
    name: str
    description: str = ""
    language: str = "en"
    gender: str | None = None
    is_owner: bool = False
    created_at: str = "1970-01-01T00:00:00Z"
    access: str = "public"
    visibility: str = "all"
    tagline: str = ""
    accent: str | None = None
    country: str | None = None
    locales: tuple[Locale, ...] = ()
    preview_file_url: str | None = None
    #: Not an API field: set for voices of Voicebooth's offline engine.
    offline: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @cached_property
    def languages(self) -> frozenset[str]:
        """Language codes the voice speaks: its own and its locales' (``pt-BR`` is ``pt``).

        Kept once made: the picker's language filter asks for every voice at every
        change of the list (a frozen voice never changes its languages)."""
        codes = {self.language} | {loc.locale.split("-")[0] for loc in self.locales}
        return frozenset(code for code in codes if code)

    def speaks(self, language: str) -> bool:
        """The one rule for "this voice speaks that language" (filters, warnings)."""
        return language in self.languages

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Voice:
        # A cached library of 5,000 voices is parsed at every start: one lookup per
        # field and no per-call set of known names (this ran at 40 µs a voice).
        get = obj.get
        locales = tuple(
            Locale(str(item.get("locale", "")), bool(item.get("is_native", False)))
            for item in get("locales") or () if isinstance(item, dict)
        )
        access = get("access")
        if access is None and "is_public" in obj:  # versions before 2025
            access = "public" if obj["is_public"] else "private"
        gender, accent, country, preview = (get("gender"), get("accent"), get("country"),
                                            get("preview_file_url"))
        voice_id = str(obj["id"])
        return cls(
            voice_id,
            str(get("name") or voice_id),
            str(get("description") or ""),
            str(get("language") or ""),
            gender if isinstance(gender, str) else None,
            bool(get("is_owner", False)),
            str(get("created_at") or ""),
            str(access or "public"),
            str(get("visibility") or "all"),
            str(get("tagline") or ""),
            accent if isinstance(accent, str) else None,
            country if isinstance(country, str) else None,
            locales,
            preview if isinstance(preview, str) else None,
            bool(get("voicebooth_offline", False)),
            {k: v for k, v in obj.items() if k not in _KNOWN},
        )

    def to_json(self, *, with_preview: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "name": self.name, "description": self.description,
            "language": self.language, "gender": self.gender, "is_owner": self.is_owner,
            "created_at": self.created_at, "access": self.access,
            "visibility": self.visibility, "tagline": self.tagline, "accent": self.accent,
            "country": self.country,
            "locales": [{"locale": loc.locale, "is_native": loc.is_native}
                        for loc in self.locales],
        }
        if with_preview:
            out["preview_file_url"] = self.preview_file_url
        if self.offline:
            out["voicebooth_offline"] = True
        return out
