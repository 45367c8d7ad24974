"""Keyframes at scene changes, found cheaply and bounded.

Frames are decoded in order (FFmpeg's own threads), but only a few per second are
looked at (:data:`SAMPLE_FPS`), each shrunk to a 32×18 colour thumbnail. A sampled frame
whose thumbnail differs from the last keyframe's by more than :data:`CUT_THRESHOLD`
(mean absolute difference of 0–1 intensities) starts a new scene. A shot that never
cuts still gets a keyframe every :data:`MAX_SCENE_S` seconds. Cuts closer than
:data:`MIN_GAP_S` are merged and no more than :data:`MAX_PER_MINUTE` keyframes fall in
any minute, so a flickering video cannot flood the index.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from mmrag_audio.decode import decoded_frames

SAMPLE_FPS = 2.0
CUT_THRESHOLD = 0.12
MAX_SCENE_S = 60.0
MIN_GAP_S = 2.0
MAX_PER_MINUTE = 12
#: Hard cap per file (a ten-hour recording still yields a bounded item count).
MAX_KEYFRAMES = 600
#: Longest side of the cached rendition (the shared contract for visual items).
RENDITION_PX = 512


@dataclass
class Keyframe:
    time: float
    image: Image.Image  # already at most RENDITION_PX on its longest side


def _signature(frame: Any) -> np.ndarray:
    # Colour, not grey: two scenes of equal brightness but different colour are a cut.
    small = frame.reformat(width=32, height=18, format="rgb24")
    return small.to_ndarray().astype(np.float32) / 255.0


def _rendition(frame: Any) -> Image.Image:
    width, height = frame.width, frame.height
    scale = min(1.0, RENDITION_PX / max(width, height, 1))
    target_w, target_h = max(2, round(width * scale)), max(2, round(height * scale))
    return frame.reformat(width=target_w, height=target_h, format="rgb24").to_image()


def keyframes(container: Any, *, on_error: Callable[[str], None] | None = None) -> Iterator[Keyframe]:
    """Yield keyframes of the first video stream, in time order."""
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    recent: deque[float] = deque()
    step = 1.0 / SAMPLE_FPS
    next_sample = 0.0
    last_sig: np.ndarray | None = None
    last_time = -1e9
    count = 0
    time_base = float(stream.time_base) if stream.time_base else 0.0
    start = float(stream.start_time * stream.time_base) if stream.start_time and stream.time_base else 0.0
    for frame in decoded_frames(container, stream, "video", on_error):
        if frame.pts is None:
            continue
        t = max(0.0, frame.pts * time_base - start)
        if t < next_sample:
            continue
        next_sample = t + step
        sig = _signature(frame)
        cut = last_sig is None or float(np.abs(sig - last_sig).mean()) > CUT_THRESHOLD
        while recent and recent[0] <= t - 60.0:
            recent.popleft()
        room = len(recent) < MAX_PER_MINUTE
        if room and ((cut and t - last_time >= MIN_GAP_S) or t - last_time >= MAX_SCENE_S):
            last_sig, last_time = sig, t
            recent.append(t)
            yield Keyframe(round(t, 2), _rendition(frame))
            count += 1
            if count >= MAX_KEYFRAMES:
                return
