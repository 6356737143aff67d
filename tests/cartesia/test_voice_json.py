"""A voice from the API's JSON (issue 14 made the parsing cheaper): every field as before,
fields of other versions kept in ``extra``, ``is_public`` of older versions read, and the
languages a voice speaks."""

from __future__ import annotations

from app.cartesia.voices_types import Locale, Voice


def test_every_field_and_what_other_versions_send() -> None:
    obj = {"id": "a1", "name": "Ada", "description": "calm", "language": "pt",
           "gender": "feminine", "is_owner": True, "created_at": "2026-01-02T03:04:05Z",
           "access": "private", "visibility": "me", "tagline": "Calm", "accent": "Brazilian",
           "country": "BR", "locales": [{"locale": "pt-BR", "is_native": True},
                                        {"locale": "en-US"}, "junk"],
           "preview_file_url": "https://x/a1.mp3", "user_id": "u1", "embedding": [0.5],
           "voicebooth_offline": True}
    voice = Voice.from_json(obj)
    assert voice == Voice("a1", "Ada", "calm", "pt", "feminine", True, "2026-01-02T03:04:05Z",
                          "private", "me", "Calm", "Brazilian", "BR",
                          (Locale("pt-BR", True), Locale("en-US", False)),
                          "https://x/a1.mp3", True)
    assert voice.extra == {"user_id": "u1", "embedding": [0.5], "voicebooth_offline": True}
    assert voice.languages == {"pt", "en"} and voice.speaks("en")
    assert Voice.from_json(voice.to_json(with_preview=True)) == voice


def test_missing_and_odd_fields_and_is_public() -> None:
    voice = Voice.from_json({"id": 7, "name": None, "gender": 3, "accent": ["x"],
                             "preview_file_url": 1, "is_public": False, "language": None})
    assert voice == Voice("7", "7", "", "", None, False, "", "private", "all", "", None, None,
                          (), None, False)
    assert voice.languages == frozenset()
    assert Voice.from_json({"id": "b", "is_public": True}).access == "public"
    assert Voice.from_json({"id": "b", "is_public": True, "access": "x"}).access == "x"
