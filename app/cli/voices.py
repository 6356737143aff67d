"""``voicebooth voices``: the server's voices (when online), then the offline ones, marked."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from app.cartesia.config import Timeouts
from app.cartesia.voices import VoiceQuery, VoicesClient
from app.cartesia.voices_types import Voice
from app.engine.local import offline_voices
from app.settings import Settings
from app.studio.endpoints import Endpoints
from app.studio.options import RunOptions


async def run_voices(args: argparse.Namespace, options: RunOptions, out: TextIO) -> int:
    query = VoiceQuery(q=args.query, gender=args.gender, language=args.language,
                       is_owner=True if args.mine else None)
    seconds = args.timeout
    endpoints = Endpoints(Settings(None), options, timeouts=Timeouts(
        connect=seconds, rest=seconds, rest_total=seconds))
    try:
        online = await endpoints.online()
        voices: list[Voice] = []
        if online is not None:
            async with VoicesClient(online) as client:
                voices = await client.list(query, limit=args.limit)
    finally:
        await endpoints.close()
    # Offline voices are always offered beside the API's, marked as such.
    listed = {v.id for v in voices}
    voices += [v for v in offline_voices() if query.matches(v) and v.id not in listed]
    if args.limit is not None:
        voices = voices[:args.limit]
    if args.json:
        json.dump([v.to_json() for v in voices], out, indent=2, ensure_ascii=False)
        out.write("\n")
        return 0
    if not voices:
        print("no voices match", file=out)
        return 0
    width = max(len(v.name) for v in voices)
    for v in voices:
        tag = " (offline)" if v.offline else ""
        print(f"{v.id}  {v.name:<{width}}  {v.language:<3} {v.gender or '-':<15}{tag}",
              file=out)
    return 0
