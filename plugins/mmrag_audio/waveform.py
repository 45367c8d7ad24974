"""A recording's waveform as a small PNG, made while the audio is decoded for
transcription (no second decoding pass).

:class:`Envelope` keeps the peak (max |sample|) of every 20 ms of 16 kHz audio, about
700 KB per hour of recording, and :func:`write_png` draws those peaks, grouped into
``width`` columns, as a mirrored bar graph. The GUI shows the picture above a hit's
transcript with the hit's time range marked (``meta["waveform"]``, ``meta["duration"]``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from .decode import SAMPLE_RATE

#: Samples per stored peak (20 ms): fine enough for 600 columns of a 12-second clip.
BUCKET = SAMPLE_RATE // 50
WIDTH, HEIGHT = 600, 80
#: Bars in a blue that reads on light and dark themes; the background stays transparent.
COLOUR = (66, 99, 235, 255)


class Envelope:
    """Peaks of consecutive 20 ms buckets of 16 kHz mono audio, fed window by window."""

    def __init__(self) -> None:
        self._peaks: list[np.ndarray] = []
        self._rest = np.zeros(0, dtype=np.float32)
        self.samples = 0

    def add(self, samples: np.ndarray) -> None:
        self.samples += samples.size
        audio = np.concatenate([self._rest, samples]) if self._rest.size else samples
        whole = audio.size // BUCKET * BUCKET
        if whole:
            self._peaks.append(np.abs(audio[:whole]).reshape(-1, BUCKET).max(axis=1).astype(np.float32))
        self._rest = audio[whole:].copy()

    def tap(self, windows: Iterable[tuple[float, np.ndarray]]) -> Iterator[tuple[float, np.ndarray]]:
        """Pass ``(start, samples)`` windows on unchanged, adding each to the envelope."""
        for start, samples in windows:
            self.add(samples)
            yield start, samples

    @property
    def seconds(self) -> float:
        return self.samples / SAMPLE_RATE

    def peaks(self) -> np.ndarray:
        parts = [*self._peaks, np.abs(self._rest).max(keepdims=True) if self._rest.size else np.zeros(0)]
        return np.concatenate(parts).astype(np.float32) if any(p.size for p in parts) else np.zeros(0, np.float32)

    def columns(self, width: int = WIDTH) -> np.ndarray:
        """``width`` peaks, each the loudest of the buckets under that column (a short
        clip's buckets are repeated across several columns)."""
        peaks = self.peaks()
        if not peaks.size:
            return np.zeros(width, dtype=np.float32)
        edges = np.linspace(0, peaks.size, width + 1)
        starts = np.minimum(edges[:-1].astype(int), peaks.size - 1)
        ends = np.maximum(edges[1:].astype(int), starts + 1)
        return np.array([peaks[s:e].max() for s, e in zip(starts, ends, strict=True)], dtype=np.float32)


def write_png(envelope: Envelope, folder: Path, width: int = WIDTH, height: int = HEIGHT) -> Path | None:
    """Draw the envelope into ``folder``/<hash of the peaks>.png (an existing one is
    reused: the same audio draws the same picture). None when nothing was decoded."""
    if not envelope.samples:
        return None
    columns = envelope.columns(width)
    # Scaled to the loudest peak so quiet recordings still show their shape, but not
    # below 0.02 full scale, so hiss in a silent file stays a flat line.
    level = columns / max(float(columns.max()), 0.02)
    key = hashlib.sha256(np.round(level, 3).tobytes() + f"{width}x{height}".encode()).hexdigest()[:24]
    target = Path(folder) / f"{key}-wave.png"
    if target.exists():
        return target
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    middle = (height - 1) / 2
    for x, value in enumerate(level):
        half = max(0.5, float(value) * middle)  # silence is still a one-pixel line
        draw.line([(x, round(middle - half)), (x, round(middle + half))], fill=COLOUR)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    image.save(partial, format="PNG", optimize=True)
    partial.replace(target)  # a reader never sees a half-written picture
    return target
