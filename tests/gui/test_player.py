"""Decoding a timed hit for playback from its timestamp (the sound card part cannot run
here: this machine has no audio output, which the fallback test covers)."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

import numpy as np

from mmrag_desktop.gui.player import Player, decode, output_problem


def _two_tones(path: Path) -> Path:
    rate = 8000
    frames = [int(10000 * math.sin(2 * math.pi * (200 if i < rate * 2 else 1000) * i / rate)) for i in range(rate * 4)]
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(struct.pack(f"<{len(frames)}h", *frames))
    return path


def _pitch(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples[:, 0]))
    return float(np.argmax(spectrum) * rate / len(samples))


def test_decode_starts_at_the_timestamp(tmp_path: Path) -> None:
    path = _two_tones(tmp_path / "tones.wav")
    head, rate = decode(path, 0.0, seconds=1.0)
    tail, _ = decode(path, 2.5, seconds=1.0)
    assert rate == 8000 and head.shape == (8000, 1) and tail.shape == (8000, 1)
    assert abs(_pitch(head, rate) - 200) < 5 and abs(_pitch(tail, rate) - 1000) < 5
    rest, _ = decode(path, 3.5)
    assert rest.shape == (4000, 1)  # only what is left after 3.5 s


def test_player_declines_without_an_output_device(qtbot, tmp_path: Path) -> None:
    player = Player()
    played = player.play(_two_tones(tmp_path / "t.wav"), 1.0, on_failure=lambda exc: None)
    assert played == (output_problem() is None)
