"""Playing a timed hit from its start time, inside the app.

Decoding runs on a worker: WAV through the standard library, anything else through PyAV
when it is installed (the audio plugins bring it). Output goes through sounddevice.
Without an output device or a decoder, ``play`` returns False and the caller opens the
file in the system's player instead (which starts at the beginning).
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from .ops import run_op
from .sound_devices import device_problem

#: How much is decoded and played from the hit's start.
PLAY_SECONDS = 120.0


def output_problem() -> str | None:
    """Why in-app playback is impossible here, or None."""
    return device_problem("max_output_channels", "no audio output device found")


def decode(path: Path, start: float, seconds: float = PLAY_SECONDS) -> tuple[np.ndarray, int]:
    """Samples (frames × channels, float32 in [-1, 1]) from ``start`` for ``seconds``."""
    if path.suffix.lower() == ".wav":
        with wave.open(str(path), "rb") as source:
            rate, channels, width = source.getframerate(), source.getnchannels(), source.getsampwidth()
            source.setpos(min(int(start * rate), source.getnframes()))
            raw = source.readframes(int(seconds * rate))
        if width != 2:
            raise ValueError(f"{width * 8}-bit WAV is not supported for playback")
        samples = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
        return samples.reshape(-1, channels), rate
    import av  # brought by the audio/video plugins

    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="stereo", rate=48000)
        if start > 0:
            container.seek(int(start / stream.time_base), stream=stream)
        chunks: list[np.ndarray] = []
        total = 0
        for frame in container.decode(stream):
            if frame.time is not None and frame.time + frame.samples / frame.sample_rate < start:
                continue
            for out in resampler.resample(frame):
                array = out.to_ndarray().reshape(-1, 2)
                chunks.append(array)
                total += len(array)
            if total >= seconds * 48000:
                break
    samples = np.concatenate(chunks) if chunks else np.zeros((0, 2), np.float32)
    return samples[: int(seconds * 48000)].astype(np.float32), 48000


class Player:
    def __init__(self) -> None:
        self.problem = output_problem()

    def play(self, path: Path, start: float, on_failure) -> bool:  # type: ignore[no-untyped-def]
        """Start playing (asynchronously); False when this machine cannot."""
        if self.problem is not None:
            return False

        def start_output(decoded: tuple[np.ndarray, int]) -> None:
            import sounddevice as sd

            samples, rate = decoded
            try:
                sd.play(samples, rate)
            except Exception as exc:
                on_failure(exc)

        run_op(lambda: decode(path, start), start_output, on_failure)
        return True

    def stop(self) -> None:
        if self.problem is None:
            import sounddevice as sd

            sd.stop()
