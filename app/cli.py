"""The command line: ``say``, ``voices``, ``serve``, ``devices``; the window with no command.

Exit codes: 0 done; 1 an output file could not be written; 2 bad usage or bad
input; 3 key missing or rejected; 4 network, protocol or server error;
130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from app.atomic import TargetExists, WriteError
from app.audio.codecs import ENCODINGS, SAMPLE_RATES
from app.audio.devices import format_device_table, output_devices
from app.audio.errors import NoAudioDevice
from app.audio.player import Player
from app.audio.wav import WAV_FORMATS, WavFormat, write_wav
from app.cartesia import messages as m
from app.cartesia.client import Audio, Collected, TTSClient
from app.cartesia.config import DEFAULT_BASE_URL, ClientConfig, Timeouts
from app.cartesia.errors import AuthError, CartesiaError, ConfigError
from app.cartesia.models import catalog
from app.cartesia.voices import VoiceQuery, VoicesClient
from app.credentials import (
    ENV_VAR,
    ApiKey,
    RedactingFilter,
    resolve_key,
    use_key_for_this_process,
)
from app.engine.local import LocalEngine, offline_default_voice, offline_voice_ids, offline_voices
from app.errors import VoiceboothError
from app.markup import check, sonic3
from app.takes.timings import Timing, write_srt, write_timings_json

EXIT_OK, EXIT_WRITE, EXIT_USAGE, EXIT_KEY, EXIT_NETWORK, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130

log = logging.getLogger("voicebooth")


class UsageError(VoiceboothError):
    """Bad input on the command line (exit code 2)."""


# --- connection set-up shared by the commands ----------------------------------


@dataclass
class Connection:
    config: ClientConfig
    engine: LocalEngine | None
    key: ApiKey | None

    @property
    def offline(self) -> bool:
        return self.engine is not None

    def close(self) -> None:
        if self.engine is not None:
            self.engine.stop()


def open_connection(args: argparse.Namespace, err: TextIO, *, timeouts: Timeouts | None = None,
                    voice_id: str | None = None) -> Connection:
    """Resolve key and base URL; start the offline engine when that is what is wanted.

    The offline engine is used with ``--offline``, when there is neither a key
    nor a base URL, and for an offline voice when no base URL is given.
    """
    timeouts = timeouts or Timeouts()
    version = args.api_version or os.environ.get("CARTESIA_API_VERSION") or \
        m.DEFAULT_API_VERSION
    base_url = args.base_url or os.environ.get("CARTESIA_BASE_URL")
    key = None if args.offline else resolve_key(args.api_key)
    reason = None
    if args.offline:
        reason = "--offline"
    elif base_url is None and voice_id is not None and voice_id in offline_voice_ids():
        # Cartesia's cloud does not know our offline voices; a server given with
        # --base-url might (it may be another Voicebooth engine), so ask it.
        reason = "the voice is an offline voice"
    elif key is None and base_url is None:
        reason = "no API key is set"
    if reason is not None:
        engine = LocalEngine()
        url = engine.start()
        print(f"Using the offline engine ({reason}).", file=err)
        return Connection(ClientConfig(url, None, version, timeouts), engine, None)
    if key is not None:
        for handler in logging.getLogger().handlers:
            handler.addFilter(RedactingFilter([key.value]))
    return Connection(ClientConfig(base_url or DEFAULT_BASE_URL, key.value if key else None,
                                   version, timeouts), None, key)


# --- say -----------------------------------------------------------------------


def read_text(args: argparse.Namespace, stdin: TextIO) -> str:
    if args.file and args.text:
        raise UsageError("give the text or -f FILE, not both")
    if args.file:
        try:
            return Path(args.file).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read {args.file}: {exc}") from None
    if args.text == "-":
        return stdin.read()
    if not args.text:
        raise UsageError("nothing to say: give TEXT, -f FILE, or - to read standard input")
    return str(args.text)


def wav_format_for(encoding: str, requested: str | None) -> tuple[WavFormat, bool]:
    """The WAV format that holds the received samples exactly, and whether to dither."""
    if requested is not None:
        fmt: WavFormat = requested  # type: ignore[assignment]
        # Only float audio gains anything from dither; 16-bit sources are exact.
        return fmt, encoding == "pcm_f32le" and fmt != "float32"
    if encoding == "pcm_f32le":
        return "float32", False
    return "pcm16", False


def partial_path(out: Path) -> Path:
    return out.with_name(out.stem + ".partial" + (out.suffix or ".wav"))


async def run_say(args: argparse.Namespace, conn: Connection, text: str, err: TextIO) -> int:
    check_markup(text, args.model, args.language)
    voice = args.voice or (offline_default_voice() if conn.offline else None)
    if not voice:
        raise UsageError("choose a voice with --voice ID (list them with 'voicebooth voices')")
    config = m.GenerationConfig(speed=args.speed, volume=args.volume, emotion=args.emotion)
    request = m.GenerationRequest(
        model_id=args.model, transcript=text, voice_id=voice, context_id="",
        output_format=m.OutputFormat(args.encoding, args.sample_rate),
        language=args.language, add_timestamps=True,
        add_phoneme_timestamps=bool(args.timestamps),
        generation_config=config if config.to_json() else None)
    out = Path(args.output) if args.output else None
    if out is None and not args.play and not args.timestamps and not args.srt:
        raise UsageError("nothing to do: give -o OUT.wav, --play, --timestamps or --srt")
    if out is not None and out.exists() and not args.force:
        raise UsageError(f"{out} already exists; use --force to overwrite")
    player = open_player(args, err) if args.play else None
    started = time.perf_counter()
    collected = Collected("")
    client = TTSClient(conn.config)
    try:
        generation = await client.generate(request)
        collected = Collected(generation.context_id)
        try:
            async for event in generation:
                collected.add(event)
                if player is not None and isinstance(event, Audio):
                    player.feed(event.samples)
                if len(collected.chunks) == 1 and event is collected.chunks[0]:
                    ttfa = generation.time_to_first_audio or 0.0
                    print(f"first audio after {ttfa * 1000:.1f} ms", file=err)
        except (CartesiaError, asyncio.CancelledError, KeyboardInterrupt) as exc:
            save_partial(out, collected, request, args, err, exc)
            raise
        if player is not None:
            player.end_of_stream()
            await asyncio.get_running_loop().run_in_executor(None, finish_playing, player)
    finally:
        await client.close()
        if player is not None:
            player.close()
    elapsed = time.perf_counter() - started
    samples = collected.samples()
    seconds = len(samples) / args.sample_rate
    if out is not None:
        fmt, dither = wav_format_for(args.encoding, args.wav_format)
        write_wav(out, samples, args.sample_rate, fmt, dither=dither, overwrite=True)
    if args.timestamps:
        write_timings_json(args.timestamps, timings(collected.words),
                           timings(collected.phonemes))
    if args.srt:
        write_srt(args.srt, timings(collected.words))
    speed = seconds / elapsed if elapsed > 0 else 0.0
    print(f"{seconds:.2f} s of audio, {len(collected.words)} words, in {elapsed:.2f} s "
          f"({speed:.1f}× real time)" + (f" -> {out}" if out else ""), file=err)
    return EXIT_OK


def check_markup(text: str, model_id: str, language: str | None) -> None:
    """Refuse to send a transcript with markup errors (MarkupInvalid names line and column)."""
    try:
        dialect = catalog().get(model_id).dialect(language or "en")
    except ConfigError:
        dialect = sonic3(language or "en")  # a model we do not know yet: the server decides
    check(text, dialect)


def open_player(args: argparse.Namespace, err: TextIO) -> Player | None:
    """A started player, or ``None`` (and why) when there is no usable device."""
    player = Player(args.sample_rate, device=args.device)
    try:
        player.open()
    except NoAudioDevice as exc:
        print(f"not playing: {exc}", file=err)
        return None
    player.play(0)
    return player


def finish_playing(player: Player) -> None:
    """Wait for the last sample to reach the DAC (bounded, in case the device stalls)."""
    remaining = (player.frames_received - player.playhead()) / player.sample_rate
    player.wait_finished(remaining + 5.0)
    time.sleep(player.latency + 0.05)


def timings(items: Sequence[tuple[str, float, float]]) -> list[Timing]:
    return [Timing(text, start, end) for text, start, end in items]


def save_partial(out: Path | None, collected: Collected, request: m.GenerationRequest,
                 args: argparse.Namespace, err: TextIO, exc: BaseException) -> None:
    """Keep the audio that arrived before a failure, beside the wanted output."""
    samples = collected.samples()
    if out is None or len(samples) == 0:
        return
    path = partial_path(out)
    fmt, dither = wav_format_for(request.output_format.encoding, args.wav_format)
    try:
        write_wav(path, samples, request.output_format.sample_rate, fmt, dither=dither,
                  overwrite=True)
    except VoiceboothError as write_exc:
        print(f"could not keep the partial audio: {write_exc}", file=err)
        return
    seconds = len(samples) / request.output_format.sample_rate
    print(f"the generation failed after {seconds:.2f} s of audio; {out} was not written, "
          f"the audio received so far is in {path}", file=err)


# --- voices --------------------------------------------------------------------


async def run_voices(args: argparse.Namespace, conn: Connection, out: TextIO) -> int:
    query = VoiceQuery(q=args.query, gender=args.gender, language=args.language,
                       is_owner=True if args.mine else None)
    async with VoicesClient(conn.config) as client:
        voices = await client.list(query, limit=args.limit)
    if not conn.offline:
        # Offline voices are always offered beside the API's, marked as such.
        listed = {v.id for v in voices}
        voices += [v for v in offline_voices() if query.matches(v) and v.id not in listed]
        if args.limit is not None:
            voices = voices[:args.limit]
    if args.json:
        json.dump([v.to_json() for v in voices], out, indent=2, ensure_ascii=False)
        out.write("\n")
        return EXIT_OK
    if not voices:
        print("no voices match", file=out)
        return EXIT_OK
    width = max(len(v.name) for v in voices)
    for v in voices:
        tag = " (offline)" if v.offline else ""
        print(f"{v.id}  {v.name:<{width}}  {v.language:<3} {v.gender or '-':<15}{tag}",
              file=out)
    return EXIT_OK


# --- serve ---------------------------------------------------------------------


async def run_serve(args: argparse.Namespace, out: TextIO) -> int:
    from app.engine.local import load_all, offline_synthesizers
    from app.engine.server import EngineServer, ServerConfig

    synthesizers = offline_synthesizers()
    server = EngineServer(synthesizers, ServerConfig(
        api_key=args.api_key, pace=args.pace, chunk_ms=args.chunk_ms))
    url = await server.start(args.host, args.port)
    if args.preload:
        asyncio.get_running_loop().run_in_executor(None, load_all, synthesizers)
    print(f"Voicebooth engine listening on {url}", file=out, flush=True)
    print(f"WebSocket: {url.replace('http', 'ws', 1)}/tts/websocket", file=out, flush=True)
    try:
        if args.exit_with_parent:
            parent = os.getppid()
            # Polling: no event announces a parent's death (re-parenting is the sign).
            while os.getppid() == parent:  # noqa: ASYNC110
                await asyncio.sleep(1.0)
        else:
            await asyncio.Event().wait()
    finally:
        await server.stop()
    return EXIT_OK


# --- argument parsing ----------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--api-key", help=f"Cartesia API key (else ${ENV_VAR}, else the "
                        "keyring)")
    common.add_argument("--base-url", help="API base URL (else $CARTESIA_BASE_URL, else "
                        f"{DEFAULT_BASE_URL}); the WebSocket URL is derived from it")
    common.add_argument("--api-version", help="Cartesia-Version to send (default "
                        f"{m.DEFAULT_API_VERSION})")
    common.add_argument("--offline", action="store_true",
                        help="use the built-in offline engine even if a key is set")
    common.add_argument("-v", "--verbose", action="store_true", help="log more")

    parser = argparse.ArgumentParser(
        prog="voicebooth", parents=[common],
        description="Audition Cartesia voices. With no command, opens the window (the "
        "options above apply to it too).")
    sub = parser.add_subparsers(dest="command")

    say = sub.add_parser("say", parents=[common], help="generate speech into a WAV file")
    say.add_argument("text", nargs="?", help="text with Cartesia markup, or - for stdin")
    say.add_argument("-f", "--file", help="read the text from a file")
    say.add_argument("--voice", help="voice id")
    say.add_argument("--model", default="sonic-3", help="model id (default sonic-3)")
    say.add_argument("--language", default="en", help="language code (default en)")
    say.add_argument("--speed", type=float, help="0.6 to 1.5 (sonic-3)")
    say.add_argument("--volume", type=float, help="0.5 to 2.0 (sonic-3)")
    say.add_argument("--emotion", help="e.g. neutral, excited, sad (sonic-3)")
    say.add_argument("--encoding", default="pcm_f32le", choices=ENCODINGS)
    say.add_argument("--sample-rate", type=int, default=44100, choices=SAMPLE_RATES)
    say.add_argument("-o", "--output", help="write the audio to this WAV file")
    say.add_argument("--wav-format", choices=WAV_FORMATS,
                     help="default: float32 for pcm_f32le, else 16-bit PCM")
    say.add_argument("--force", action="store_true", help="overwrite an existing output")
    say.add_argument("--timestamps", help="write word and phoneme timings as JSON")
    say.add_argument("--srt", help="write subtitles (SRT) from the word timings")
    say.add_argument("--play", action="store_true",
                     help="play while it streams (with the output written as well, if -o)")
    say.add_argument("--device", help="output device name or number (see 'devices')")
    say.add_argument("--timeout", type=float, default=10.0,
                     help="seconds to wait for the first audio and between messages")

    voices = sub.add_parser("voices", parents=[common], help="list voices")
    voices.add_argument("--query", "-q", help="search names and descriptions")
    voices.add_argument("--language", help="only voices that speak this language")
    voices.add_argument("--gender", help="masculine, feminine, gender_neutral")
    voices.add_argument("--mine", action="store_true", help="only your own voices")
    voices.add_argument("--limit", type=int, help="at most this many")
    voices.add_argument("--json", action="store_true", help="print JSON")

    sub.add_parser("devices", help="list sound output devices")

    serve = sub.add_parser("serve", help="run the offline engine as a Cartesia-compatible "
                           "server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="0 picks a free port")
    serve.add_argument("--api-key", help="require this key from clients")
    serve.add_argument("--pace", type=float, default=0.0,
                       help="send audio at this multiple of real time (0: as fast as made)")
    serve.add_argument("--chunk-ms", type=int, default=40, help="audio per chunk message")
    serve.add_argument("--preload", action="store_true",
                       help="load the voices' models at start, not on first use")
    serve.add_argument("--exit-with-parent", action="store_true",
                       help="stop when the process that started this one ends (the app "
                       "runs its offline engine this way)")
    return parser


def main(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None,
         stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if getattr(args, "verbose", False)
                        else logging.WARNING, stream=stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    if args.command is None:
        from app.ui.main import run_gui

        # The window reads these like the commands do (credentials.py, the session).
        if args.api_key:
            use_key_for_this_process(args.api_key)
        if args.base_url:
            os.environ["CARTESIA_BASE_URL"] = args.base_url
        if args.api_version:
            os.environ["CARTESIA_API_VERSION"] = args.api_version
        return run_gui(offline=args.offline)
    try:
        return asyncio.run(_dispatch(args, stdin, stdout, stderr))
    except KeyboardInterrupt:
        print("interrupted", file=stderr)
        return EXIT_INTERRUPTED
    except VoiceboothError as exc:
        print(f"error: {exc}", file=stderr)
        return exit_code(exc)


def exit_code(exc: VoiceboothError) -> int:
    """The documented exit code for an error (most specific class first)."""
    for kinds, code in (((UsageError, ConfigError, TargetExists), EXIT_USAGE),
                        ((AuthError,), EXIT_KEY), ((CartesiaError,), EXIT_NETWORK),
                        ((WriteError,), EXIT_WRITE)):
        if isinstance(exc, kinds):
            return code
    return EXIT_USAGE


async def _dispatch(args: argparse.Namespace, stdin: TextIO, stdout: TextIO,
                    stderr: TextIO) -> int:
    if args.command == "serve":
        return await run_serve(args, stdout)
    if args.command == "devices":
        print(format_device_table(output_devices()), file=stdout)
        return EXIT_OK
    if args.command == "say":
        text = read_text(args, stdin)
        timeouts = Timeouts(first_chunk=args.timeout, inactivity=args.timeout)
        conn = open_connection(args, stderr, timeouts=timeouts, voice_id=args.voice)
        try:
            return await run_say(args, conn, text, stderr)
        finally:
            conn.close()
    if args.command == "voices":
        conn = open_connection(args, stderr)
        try:
            return await run_voices(args, conn, stdout)
        finally:
            conn.close()
    raise UsageError(f"unknown command {args.command!r}")
