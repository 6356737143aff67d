"""The Voice object of the REST API, as plain data (shape of API version 2026-03-01)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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

    @property
    def languages(self) -> frozenset[str]:
        """Language codes the voice speaks: its own and its locales' (``pt-BR`` is ``pt``)."""
        codes = {self.language} | {loc.locale.split("-")[0] for loc in self.locales}
        return frozenset(code for code in codes if code)

    def speaks(self, language: str) -> bool:
        """The one rule for "this voice speaks that language" (filters, warnings)."""
        return language in self.languages

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Voice:
        locales = tuple(
            Locale(str(item.get("locale", "")), bool(item.get("is_native", False)))
            for item in obj.get("locales") or () if isinstance(item, dict)
        )
        known = {"id", "name", "description", "language", "gender", "is_owner", "created_at",
                 "access", "visibility", "tagline", "accent", "country", "locales",
                 "preview_file_url", "is_public"}
        access = obj.get("access")
        if access is None and "is_public" in obj:  # versions before 2025
            access = "public" if obj["is_public"] else "private"
        return cls(
            id=str(obj["id"]),
            name=str(obj.get("name") or obj["id"]),
            description=str(obj.get("description") or ""),
            language=str(obj.get("language") or ""),
            gender=obj.get("gender") if isinstance(obj.get("gender"), str) else None,
            is_owner=bool(obj.get("is_owner", False)),
            created_at=str(obj.get("created_at") or ""),
            access=str(access or "public"),
            visibility=str(obj.get("visibility") or "all"),
            tagline=str(obj.get("tagline") or ""),
            accent=obj.get("accent") if isinstance(obj.get("accent"), str) else None,
            country=obj.get("country") if isinstance(obj.get("country"), str) else None,
            locales=locales,
            preview_file_url=(obj.get("preview_file_url")
                              if isinstance(obj.get("preview_file_url"), str) else None),
            offline=bool(obj.get("voicebooth_offline", False)),
            extra={k: v for k, v in obj.items() if k not in known},
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
