"""Output devices through PortAudio (sounddevice), with every failure a clear NoAudioDevice.

PortAudio is loaded on first use, not at import, so a machine without it (or
without a sound server) can still generate, draw and export.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from app.audio.errors import NoAudioDevice, UnknownDevice


def portaudio() -> ModuleType:
    """The sounddevice module, or :class:`NoAudioDevice` if PortAudio is missing."""
    try:
        import sounddevice
    except OSError as exc:  # "PortAudio library not found"
        raise NoAudioDevice(f"no sound: {exc} (install libportaudio2)") from None
    module: ModuleType = sounddevice
    return module


def rescan() -> None:
    """Re-read the device list (PortAudio only looks when it starts)."""
    sd = portaudio()
    sd._terminate()
    sd._initialize()


@dataclass(frozen=True)
class OutputDevice:
    index: int
    name: str
    host_api: str
    channels: int
    default_rate: float
    is_default: bool


def output_devices() -> list[OutputDevice]:
    sd = portaudio()
    try:
        devices: Any = sd.query_devices()
        apis: Any = sd.query_hostapis()
        default_out = sd.default.device[1]
    except sd.PortAudioError as exc:
        raise NoAudioDevice(f"cannot list sound devices: {exc}") from None
    out = []
    for index, info in enumerate(devices):
        if info["max_output_channels"] <= 0:
            continue
        out.append(OutputDevice(index, str(info["name"]), str(apis[info["hostapi"]]["name"]),
                                int(info["max_output_channels"]),
                                float(info["default_samplerate"]), index == default_out))
    return out


def find_output_device(wanted: str | int | None) -> OutputDevice:
    """The device by index, exact name or unique name part; the default when ``None``."""
    devices = output_devices()
    if not devices:
        raise NoAudioDevice("no sound output device was found (is a sound server running?); "
                            "generation, waveform and export still work")
    if wanted is None or wanted == "":
        for device in devices:
            if device.is_default:
                return device
        return devices[0]
    if isinstance(wanted, int) or (isinstance(wanted, str) and wanted.isdigit()):
        for device in devices:
            if device.index == int(wanted):
                return device
        raise UnknownDevice(f"no output device with index {wanted}; "
                            f"choose one of {', '.join(str(d.index) for d in devices)}")
    exact = [d for d in devices if d.name == wanted]
    if exact:
        return exact[0]
    partial = [d for d in devices if wanted.lower() in d.name.lower()]
    if len(partial) == 1:
        return partial[0]
    names = [d.name for d in devices]
    if len(partial) > 1:
        raise UnknownDevice(f"{wanted!r} matches several output devices: "
                            f"{', '.join(d.name for d in partial)}")
    close = difflib.get_close_matches(wanted, names, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f"; choose one of {', '.join(names)}"
    raise UnknownDevice(f"no output device named {wanted!r}{hint}")


def format_device_table(devices: list[OutputDevice]) -> str:
    if not devices:
        return "no output devices"
    width = max(len(d.name) for d in devices)
    lines = [f"{'':1} {'#':>3}  {'name':<{width}}  {'host API':<12} rate"]
    for d in devices:
        mark = "*" if d.is_default else " "
        lines.append(f"{mark} {d.index:>3}  {d.name:<{width}}  {d.host_api:<12} "
                     f"{d.default_rate:g}")
    return "\n".join(lines)
