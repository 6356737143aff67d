"""``voicebooth say``: one generation, recorded through the studio like the window's.

Everything that can be checked without the network is checked before the
request goes out (the text, the model, language and controls, the markup,
the outputs, the device for ``--play``); the take streams through the same
:class:`~app.studio.recorder.Recorder` the window uses, and plays through the
same :class:`~app.studio.transport.Transport`. A failure after audio arrived
keeps that audio as ``OUT.partial.wav``.

With several ``--voice``, the line is rendered in each through the studio's
:class:`~app.studio.lineup.Lineup` (at most ``--max-parallel`` at a time) and
``-o`` names a folder: one WAV per voice, named by voice. A voice that fails is
reported (its audio kept as ``NAME.partial.wav``) and the others are still written.

A raw WAV streams to its file as the audio arrives. Anything that shapes the file
(``--normalize``, ``--trim``, fades, ``--export-rate``, ``--stereo``, FLAC, MP3,
Opus, μ-law) needs the whole take, so the take is kept in memory and exported
through :func:`~app.takes.export.export_take` when it ends.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from app.atomic import WriteError
from app.audio.devices import find_output_device
from app.audio.errors import NoAudioDevice
from app.audio.timefmt import format_time
from app.audio.wav import WavFormat, WavWriter, write_wav
from app.cartesia.config import Timeouts
from app.cartesia.voices import VoicesClient
from app.cartesia.voices_types import Voice
from app.engine.synth.registry import DEFAULT_OFFLINE_VOICE_ID
from app.errors import VoiceboothError
from app.markup import Lexicon
from app.settings import OUTPUT_DEVICE, Settings
from app.studio.checks import check_settings
from app.studio.endpoints import Endpoints
from app.studio.library import VoiceLibrary
from app.studio.lineup import Lineup, LineupRow, RowState
from app.studio.options import RunOptions
from app.studio.recorder import Recorder, Recording
from app.studio.transport import PlaybackProblem, Transport, TransportEvent
from app.takes.export import ExportResult, ExportSpec, export_take
from app.takes.take import AudioAppended, Take, TakeEvent, TakeSettings

from .commands import exit_code
from .lexicon import user_and_files
from .outputs import (
    OutputError,
    Outputs,
    UsageError,
    check_folder,
    export_spec_of,
    loudness_report,
    partial_path,
    shapes_audio,
    sigterm_terminates,
    voice_paths,
)


def read_text(args: argparse.Namespace, stdin: TextIO) -> str:
    if args.file and args.text:
        raise UsageError("give the text or -f FILE, not both")
    if args.file:
        try:
            data = Path(args.file).read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {args.file}: {exc.strerror or exc}") from None
        text, source = utf8(data, args.file), args.file
    elif args.text == "-":
        # Bytes, decoded strictly: Python's text stdin turns bad bytes into lone
        # surrogates (surrogateescape), which no server can be sent.
        raw = getattr(stdin, "buffer", None)
        text = utf8(raw.read(), "standard input") if raw is not None else stdin.read()
        source = "standard input"
    elif args.text:
        text, source = str(args.text), "the text"
    else:
        raise UsageError("nothing to say: give TEXT, -f FILE, or - to read standard input")
    if not text.strip():
        raise UsageError(f"nothing to say: {source} is empty")
    return text


def utf8(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{source} is not UTF-8 text: byte 0x{data[exc.start]:02x} at offset "
                         f"{exc.start} ({exc.reason}); convert it, e.g. with iconv") from None


def wav_format_for(encoding: str, requested: str | None) -> tuple[WavFormat, bool]:
    """The WAV format that holds the received samples exactly, and whether to dither."""
    if requested is not None:
        fmt: WavFormat = requested  # type: ignore[assignment]
        # Only float audio gains anything from dither; 16-bit sources are exact.
        return fmt, encoding == "pcm_f32le" and fmt != "float32"
    if encoding == "pcm_f32le":
        return "float32", False
    return "pcm16", False


def outputs_of(args: argparse.Namespace) -> Outputs:
    def path(value: str | None) -> Path | None:
        return Path(value).expanduser() if value else None

    outputs = Outputs(path(args.output), path(args.timestamps), path(args.srt), args.force,
                      path(args.vtt))
    if not outputs.named and not args.play:
        raise UsageError("nothing to do: give -o OUT.wav, --play, --timestamps, --srt or "
                         "--vtt")
    shaping = shapes_audio(args)
    if shaping and outputs.wav is None:
        raise UsageError(f"{', '.join(shaping)} shape{'s' if len(shaping) == 1 else ''} the "
                         "audio file: give -o OUT")
    return outputs


def check_device(args: argparse.Namespace, err: TextIO) -> bool:
    """Whether to play: a device named but missing is bad input; no sound at all is not."""
    if not args.play:
        return False
    try:
        find_output_device(args.device)
    except NoAudioDevice as exc:
        if args.device:  # UnknownDevice, or no devices at all to choose from
            raise UsageError(f"--device {args.device}: {exc}") from None
        print(f"not playing: {exc}", file=err)
        return False
    return True


async def run_say(args: argparse.Namespace, options: RunOptions, stdin: TextIO,
                  err: TextIO) -> int:
    text = read_text(args, stdin)
    folder: Path | None = None
    if len(args.voice or ()) > 1:
        folder = _check_many(args)
        outputs, play = Outputs(None, None, None, args.force), False
        spec = export_spec_of(args, Path(f"x{'.' + args.format if args.format else ''}"),
                              args.encoding)
    else:
        outputs = outputs_of(args)
        spec = export_spec_of(args, outputs.wav, args.encoding)
        outputs.check()
        play = check_device(args, err)
    lexicon = await user_and_files(not args.no_user_lexicon, args.lexicon)
    settings = Settings(None)  # the command line never reads or writes the window's settings
    if args.device:
        settings.set(OUTPUT_DEVICE, str(args.device))
    endpoints = Endpoints(settings, options, timeouts=Timeouts(
        connect=args.timeout, first_chunk=args.timeout, inactivity=args.timeout))
    recorder = Recorder(endpoints)
    transport = Transport(settings)
    try:
        with sigterm_terminates():
            if folder is not None:
                return await _say_many(args, text, folder, spec, endpoints, lexicon, err)
            return await _say(args, text, outputs, spec, play, endpoints, recorder,
                              transport, lexicon, err)
    finally:
        await recorder.close()
        await transport.close()
        await endpoints.close()


async def _say(args: argparse.Namespace, text: str, outputs: Outputs, spec: ExportSpec,
               play: bool, endpoints: Endpoints, recorder: Recorder, transport: Transport,
               lexicon: Lexicon, err: TextIO) -> int:
    library = VoiceLibrary(endpoints, endpoints.settings, None)
    try:
        voice_id = args.voice[0] if args.voice else None
        if not voice_id:
            if await endpoints.online() is not None:
                raise UsageError("choose a voice with --voice ID (list them with "
                                 "'voicebooth voices')")
            voice_id = DEFAULT_OFFLINE_VOICE_ID
        voice = await library.voice_for_id(voice_id)
    finally:
        await library.close()
    settings = TakeSettings(text=text, voice_id=voice.id, voice_name=voice.name,
                            model_id=args.model, language=args.language, speed=args.speed,
                            volume=args.volume, emotion=args.emotion, encoding=args.encoding,
                            sample_rate=args.sample_rate,
                            pronunciation_dict_id=args.pronunciation_dict,
                            lexicon=tuple(lexicon.entries))
    check_settings(settings)  # before the engine starts or a file is opened
    route = await endpoints.route(voice)
    if route.offline:
        print(f"Using the offline engine ({route.reason}).", file=err)
    # Shaping the file needs the whole take; a raw WAV streams to disk as it arrives.
    finished = outputs.wav is not None and spec.processes(args.sample_rate)
    fmt: WavFormat = spec.wav_subtype if spec.wav_subtype in ("pcm16", "pcm24", "float32") \
        else "float32"
    dither = args.encoding == "pcm_f32le" and fmt != "float32"
    audio = None if finished else outputs.open_audio(args.sample_rate, fmt, dither)
    timings = bool(args.timestamps or args.srt or args.vtt)
    started = time.perf_counter()
    try:
        # Streaming, the audio is not kept: it goes to the file as it arrives, so memory
        # stays flat however long the text is.
        recording = recorder.start(settings, voice, keep_audio=finished, timings=timings)
    except BaseException:
        if audio is not None:
            audio.abort()
        raise
    take = recording.take
    take.events.connect(lambda event: _arrived(event, take, audio, err))
    if play:
        transport.events.connect(lambda event: _playback(event, err))
        transport.follow(take)
    try:
        await recording.wait()
    except (VoiceboothError, asyncio.CancelledError):
        if finished:
            await _keep_partial_take(take, outputs, err)
        else:
            _keep_partial(audio, recording, args, err)
        raise
    if play:
        await transport.wait_played()
    elapsed = time.perf_counter() - started
    if finished:
        assert outputs.wav is not None
        result = await _export(take, outputs.wav, spec, outputs, err)
        written = outputs.finish(take, result)
        written[0] = result.files[0]
    else:
        written = outputs.finish(take, audio)
    speed = take.duration / elapsed if elapsed > 0 else 0.0
    words = f", {len(take.words)} words" if timings else ""
    shown = f" -> {', '.join(map(str, written))}" if written else ""
    used = len(take.settings.lexicon)
    words += f", {used} lexicon entr{'y' if used == 1 else 'ies'} used" if used else ""
    print(f"{take.duration:.2f} s of audio{words}, in {elapsed:.2f} s "
          f"({speed:.1f}× real time){shown}", file=err)
    return 0


async def _export(take: Take, path: Path, spec: ExportSpec, outputs: Outputs,
                  err: TextIO) -> ExportResult:
    """The finished file, off the loop; a failure keeps the take as a partial WAV."""
    loop = asyncio.get_running_loop()
    try:
        result = await loop.run_in_executor(
            None, lambda: export_take(take, path, spec, overwrite=True))
    except VoiceboothError as exc:
        await _keep_partial_take(take, outputs, err)
        raise OutputError(str(exc)) from None
    if spec.normalize_lufs is not None:
        print(loudness_report(result), file=err)
    else:
        for note in result.notes:
            print(note, file=err)
    return result


async def _keep_partial_take(take: Take, outputs: Outputs, err: TextIO) -> None:
    """Keep a kept take's audio (raw, float) beside the wanted output when the finished
    file could not be made: a long generation is never lost to a full disk or a typo."""
    if outputs.wav is None or take.n_frames == 0:
        return
    path = partial_path(outputs.wav.with_suffix(".wav"))
    try:
        await asyncio.get_running_loop().run_in_executor(
            None, lambda: write_wav(path, take.samples, take.sample_rate, "float32",
                                    overwrite=True))
    except VoiceboothError as exc:
        print(f"could not keep the audio: {exc}", file=err)
        return
    print(f"{outputs.wav} was not written; the {take.duration:.2f} s of audio received are "
          f"in {path}", file=err)


def _arrived(event: TakeEvent, take: Take, audio: WavWriter | None, err: TextIO) -> None:
    if not isinstance(event, AudioAppended):
        return
    if audio is not None:
        audio.write(event.samples)  # WriteError stops the recording: the disk is full
    if event.first_frame == 0:
        ttfa = take.time_to_first_audio or 0.0
        print(f"first audio after {ttfa * 1000:.1f} ms", file=err, flush=True)


def _playback(event: TransportEvent, err: TextIO) -> None:
    if isinstance(event, PlaybackProblem):
        print(f"not playing: {event.message}", file=err)


def _keep_partial(audio: WavWriter | None, recording: Recording, args: argparse.Namespace,
                  err: TextIO) -> None:
    """Keep the audio that arrived before a failure, beside the wanted output."""
    take = recording.take
    if audio is None:
        return
    if take.n_frames == 0 or isinstance(recording.error, WriteError):
        audio.abort()
        return
    path = partial_path(audio.path)
    try:
        audio.commit(path)
    except VoiceboothError as exc:
        print(f"could not keep the partial audio: {exc}", file=err)
        return
    print(f"the generation failed after {take.duration:.2f} s of audio; {audio.path} was "
          f"not written, the audio received so far is in {path}", file=err)


# --- several voices ---------------------------------------------------------------------


def _check_many(args: argparse.Namespace) -> Path:
    """What several voices cannot do, refused before anything is sent."""
    for given, option in ((args.timestamps, "--timestamps"), (args.srt, "--srt"),
                          (args.vtt, "--vtt"), (args.play, "--play")):
        if given:
            raise UsageError(f"{option} works with one voice; with several, say writes one "
                             "WAV per voice into the folder given with -o")
    if not args.output:
        raise UsageError("with several voices, give -o FOLDER/ for their WAV files (one per "
                         "voice, named by voice)")
    return Path(args.output).expanduser()


async def _say_many(args: argparse.Namespace, text: str, folder: Path, spec: ExportSpec,
                    endpoints: Endpoints, lexicon: Lexicon, err: TextIO) -> int:
    voices = await _voices_named(endpoints, list(dict.fromkeys(args.voice)))
    paths = dict(zip((v.id for v in voices), (
        path.with_name(path.stem + spec.extension) for path in voice_paths(folder, voices)),
        strict=True))
    check_folder(folder, list(paths.values()), args.force)
    settings = TakeSettings(text=text, voice_id=voices[0].id, voice_name=voices[0].name,
                            model_id=args.model, language=args.language, speed=args.speed,
                            volume=args.volume, emotion=args.emotion, encoding=args.encoding,
                            sample_rate=args.sample_rate,
                            pronunciation_dict_id=args.pronunciation_dict,
                            lexicon=tuple(lexicon.entries))
    lineup = Lineup(endpoints, settings, voices, max_parallel=args.max_parallel)
    fmt, dither = wav_format_for(args.encoding, _raw_wav_format(spec))
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, lambda: folder.mkdir(exist_ok=True))
    print(f"Rendering {len(voices)} voices, at most {args.max_parallel} at a time.", file=err)
    started = time.perf_counter()
    try:
        rows = await lineup.start()
    except asyncio.CancelledError:
        await lineup.close()
        for row in lineup.rows:  # Ctrl+C: what arrived is kept, as for one voice
            if row.take is not None and row.take.n_frames:
                await loop.run_in_executor(None, _write, row, _partial(paths[row.voice.id]),
                                           fmt, dither)
        raise
    failures: list[VoiceboothError] = []
    for row in rows:
        path = paths[row.voice.id]
        failures.extend(await loop.run_in_executor(
            None, _report, row, path, fmt, dither, spec, err))
    elapsed = time.perf_counter() - started
    print(f"{len(rows) - len(failures)} of {len(rows)} voices written to {folder} in "
          f"{elapsed:.2f} s", file=err)
    if failures:
        print(f"error: {len(failures)} voice{'s' if len(failures) > 1 else ''} failed",
              file=err)
        return exit_code(failures[0])
    return 0


async def _voices_named(endpoints: Endpoints, voice_ids: list[str]) -> list[Voice]:
    """The voices, with their names for the files: asked of the server for the voices
    the command line cannot name itself (an unknown id stays its id, and fails later)."""
    library = VoiceLibrary(endpoints, endpoints.settings, None)
    try:
        voices = [await library.voice_for_id(voice_id) for voice_id in voice_ids]
    finally:
        await library.close()
    unnamed = [i for i, voice in enumerate(voices) if voice.name == voice.id]
    config = await endpoints.online() if unnamed else None
    if config is None:
        return voices
    async with VoicesClient(config) as client:
        for i in unnamed:
            with contextlib.suppress(VoiceboothError):
                # Only the name: the voice is reached as one --voice would be.
                voices[i] = replace(voices[i], name=(await client.get(voices[i].id)).name)
    return voices


def _raw_wav_format(spec: ExportSpec) -> WavFormat | None:
    subtype = spec.wav_subtype
    return subtype if subtype in ("pcm16", "pcm24", "float32") else None


def _partial(path: Path) -> Path:
    # What arrived before a failure is kept raw, as WAV, whatever the export format.
    return partial_path(path.with_name(path.stem + ".wav"))


def _report(row: LineupRow, path: Path, fmt: WavFormat, dither: bool, spec: ExportSpec,
            err: TextIO) -> list[VoiceboothError]:
    """Write one voice's file (its partial file when it failed) and say so; the error if
    the voice failed or its file could not be written."""
    take, name = row.take, row.voice.name
    if row.state is RowState.DONE and take is not None:
        try:
            if spec.processes(take.sample_rate):
                result = export_take(take, path, spec, overwrite=True)
                loudness = f", {result.after.lufs:.1f} LUFS" if result.after else ""
                print(f"{name}: {format_time(result.duration)} of audio{loudness} -> {path}",
                      file=err)
                return []
            _write(row, path, fmt, dither)
        except VoiceboothError as exc:
            print(f"{name}: {exc}", file=err)
            return [exc]
        loudness = f", {take.loudness.lufs:.1f} LUFS" if take.loudness else ""
        print(f"{name}: {format_time(take.duration)} of audio{loudness} -> {path}", file=err)
        return []
    error = row.error or VoiceboothError(row.status)
    kept = ""
    if take is not None and take.n_frames:
        partial = _partial(path)
        try:
            _write(row, partial, fmt, dither)
            kept = f"; the {format_time(take.duration)} that arrived are in {partial}"
        except VoiceboothError as exc:
            kept = f"; the audio that arrived could not be kept: {exc}"
    print(f"{name}: {row.status}{kept}", file=err)
    return [error]


def _write(row: LineupRow, path: Path, fmt: WavFormat, dither: bool) -> None:
    """One take's audio to ``path``, atomically (off the loop: it fsyncs)."""
    take = row.take
    assert take is not None
    writer = WavWriter(path, take.sample_rate, fmt, dither=dither, overwrite=True)
    try:
        writer.write(take.samples)
    except BaseException:
        writer.abort()
        raise
    writer.commit()
