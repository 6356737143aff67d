"""Cartesia's TTS models and their languages, loaded from ``models.json``.

There is no models endpoint, so the list is data that can be updated without
code changes.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from app.cartesia.errors import ConfigError
from app.markup.dialect import Dialect

_DATED = re.compile(r"(.+)-(\d{4}-\d{2}-\d{2})")


@dataclass(frozen=True)
class Model:
    id: str
    label: str
    family: str
    snapshots: tuple[str, ...]
    languages: tuple[str, ...]
    controls: frozenset[str]
    tags: frozenset[str]
    phonemes: str
    note: str = ""

    def supports(self, control: str) -> bool:
        return control in self.controls

    def why_not(self, control: str) -> str:
        """Why this model ignores ``control``, naming a model that has it ("" if it has)."""
        if self.supports(control):
            return ""
        why = f" ({self.note})" if self.note else ""
        other = next((m.id for m in catalog().models if m.supports(control)), None)
        instead = f"; use {other}" if other else ""
        return f"{self.id} has no {control} control{why}{instead}"

    def dialect(self, language: str = "en") -> Dialect:
        """What this model accepts inside a transcript (for :mod:`app.markup`)."""
        cat = catalog()
        return Dialect(model_id=self.id, tags=frozenset(self.tags),
                       phoneset=self.phonemes, language=language,
                       speed_range=cat.ranges["speed"], volume_range=cat.ranges["volume"],
                       emotions=cat.emotions)


@dataclass(frozen=True)
class EmotionGroup:
    """A run of the emotions as Cartesia's docs list them (the primary ones first)."""

    name: str
    emotions: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class Catalog:
    models: tuple[Model, ...]
    aliases: dict[str, str]
    sunset: frozenset[str]
    language_names: dict[str, str]
    emotion_groups: tuple[EmotionGroup, ...]
    ranges: dict[str, tuple[float, float]]

    @property
    def emotions(self) -> tuple[str, ...]:
        """Every emotion name the API accepts, in the docs' order."""
        return tuple(name for group in self.emotion_groups for name in group.emotions)

    def get(self, model_id: str) -> Model:
        """The model for an id, alias or dated snapshot; a clear error otherwise."""
        name = self.aliases.get(model_id, model_id)
        for model in self.models:
            if name == model.id or name in model.snapshots:
                return model
        if model_id in self.sunset:
            raise ConfigError(f"model {model_id!r} was sunset on 2026-06-01; use sonic-3")
        # A dated snapshot newer than this list (``sonic-3-2026-09-01``): its family is
        # known, so is what it accepts; the server decides whether the date exists.
        dated = _DATED.fullmatch(model_id)
        if dated is not None:
            for model in self.models:
                if dated.group(1) == model.id:
                    return model
        known = [m.id for m in self.models] + list(self.aliases)
        close = difflib.get_close_matches(model_id, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(known)}"
        raise ConfigError(f"unknown model {model_id!r}{hint}")

    def language_name(self, code: str) -> str:
        return self.language_names.get(code, code)


@cache
def catalog() -> Catalog:
    raw: dict[str, Any] = json.loads(
        resources.files("app.cartesia").joinpath("models.json").read_text("utf-8"))
    sets: dict[str, list[str]] = raw["language_sets"]
    models = tuple(
        Model(id=m["id"], label=m["label"], family=m["family"],
              snapshots=tuple(m["snapshots"]), languages=tuple(sets[m["languages"]]),
              controls=frozenset(m["controls"]), tags=frozenset(m["tags"]),
              phonemes=m["phonemes"], note=m.get("note", ""))
        for m in raw["models"]
    )
    groups = tuple(EmotionGroup(name=g["name"], emotions=tuple(g["emotions"]),
                                note=g.get("note", ""))
                   for g in raw["emotion_groups"])
    names = [name for group in groups for name in group.emotions]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:  # one name in two groups would show twice in the picker
        raise ConfigError(f"models.json lists emotion {repeated[0]!r} in two groups")
    return Catalog(models=models, aliases=dict(raw["aliases"]), sunset=frozenset(raw["sunset"]),
                   language_names=dict(raw["language_names"]),
                   emotion_groups=groups,
                   ranges={k: (float(v[0]), float(v[1])) for k, v in raw["ranges"].items()})
