"""Audio in any container FFmpeg reads (through PyAV, which bundles FFmpeg), as 16 kHz
mono float32 in bounded windows.

A long recording is never held whole: :func:`pcm_windows` yields consecutive windows of
at most ``window_s`` seconds, so memory stays ~4 MB per minute of window whatever the
file's length. A file that breaks off (a truncated MP3, a damaged packet) yields what
decoded before the damage and reports the damage through ``on_error``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import numpy as np

SAMPLE_RATE = 16_000

#: Container/stream tags worth keeping as searchable metadata (lower-cased keys).
TAG_KEYS = ("title", "artist", "album", "album_artist", "composer", "genre", "date", "comment", "description",
            "language", "track")


@dataclass(frozen=True)
class AudioInfo:
    duration: float | None
    codec: str | None
    sample_rate: int | None
    channels: int | None
    tags: dict[str, str] = field(default_factory=dict)


def open_container(path: Path | str) -> Any:
    """Open ``path`` with FFmpeg, turning its errors into one :class:`ValueError` message."""
    try:
        return av.open(str(path), metadata_errors="ignore")
    except av.FFmpegError as exc:
        raise ValueError(f"not a readable audio/video file or damaged ({_reason(exc)})") from None


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def clean_tags(*sources: Any) -> dict[str, str]:
    tags: dict[str, str] = {}
    for source in sources:
        for key, value in (source or {}).items():
            name = str(key).lower()
            text = str(value).strip()
            if name in TAG_KEYS and text and text != "und" and name not in tags:
                tags[name] = text[:300]
    return tags


def probe(container: Any) -> AudioInfo:
    """Duration, codec and tags of the first audio stream (no decoding)."""
    stream = container.streams.audio[0] if container.streams.audio else None
    duration = None
    if container.duration:
        duration = container.duration / av.time_base
    elif stream is not None and stream.duration and stream.time_base:
        duration = float(stream.duration * stream.time_base)
    if stream is None:
        return AudioInfo(duration, None, None, None, clean_tags(container.metadata))
    ctx = stream.codec_context
    return AudioInfo(duration, ctx.name, ctx.sample_rate or None, ctx.channels or None,
                     clean_tags(container.metadata, stream.metadata))


def decoded_frames(container: Any, stream: Any, what: str,
                   on_error: Callable[[str], None] | None = None) -> Iterator[Any]:
    """The decoded frames of one stream of ``container``, in order (the demux/decode
    loop the audio and video extractors share).

    A packet that fails to decode is skipped, as players do; a stream that breaks off
    (truncated file) ends there. Both are reported through ``on_error`` with the time
    reached, so the extractor can keep what decoded and say what it lost.
    """
    reached = 0.0
    try:
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.FFmpegError as exc:
                if on_error:
                    on_error(f"skipped damaged {what} at {reached:.1f} s ({_reason(exc)})")
                continue
            for frame in frames:
                if frame.time is not None:
                    reached = float(frame.time)
                yield frame
    except av.FFmpegError as exc:
        if on_error:
            on_error(f"{what} stops at {reached:.1f} s: damaged or truncated ({_reason(exc)})")


def pcm_windows(container: Any, window_s: float = 120.0, *,
                on_error: Callable[[str], None] | None = None) -> Iterator[tuple[float, np.ndarray]]:
    """Yield ``(start seconds, samples)`` windows of the first audio stream, resampled to
    16 kHz mono float32. Times count from the start of the decoded audio."""
    if not container.streams.audio:
        return
    stream = container.streams.audio[0]
    stream.thread_type = "AUTO"
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    window = int(window_s * SAMPLE_RATE)
    pending: list[np.ndarray] = []
    held = 0
    emitted = 0

    def flush(upto: int) -> Iterator[tuple[float, np.ndarray]]:
        nonlocal pending, held, emitted
        buffer = np.concatenate(pending) if len(pending) > 1 else pending[0]
        while buffer.size >= upto and buffer.size:
            part, buffer = buffer[:upto], buffer[upto:]
            yield emitted / SAMPLE_RATE, part
            emitted += part.size
        pending = [buffer] if buffer.size else []
        held = buffer.size

    for frame in decoded_frames(container, stream, "audio", on_error):
        for out in resampler.resample(frame):
            samples = out.to_ndarray().reshape(-1)
            pending.append(samples)
            held += samples.size
        if held >= window:
            yield from flush(window)
    with contextlib.suppress(av.FFmpegError):  # a damaged stream may leave nothing to drain
        pending += [out.to_ndarray().reshape(-1) for out in resampler.resample(None)]
    if pending:
        yield from flush(max(1, sum(p.size for p in pending)))
