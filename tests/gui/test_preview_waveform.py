"""The preview of a recording's hit: the waveform the audio plugin drew, with the hit's
time range marked, above the transcript. A real espeak-ng clip, indexed (Whisper base)
and found by search."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

import mmrag_audio
from mmrag_desktop.gui.preview import PreviewPane
from mmrag_desktop.gui.search_panel import run_search
from mmrag_desktop.records import Filters
from mmrag_desktop.testing import temporary_library

SENTENCE = "The quarterly budget review is scheduled for Thursday afternoon."


def _padded_speech(folder: Path, before: float, after: float) -> Path:
    """``SENTENCE`` spoken by espeak-ng, with silence around it (so the hit sits in the
    middle of the recording, away from both edges)."""
    from mmrag_tts import speak

    spoken = speak(SENTENCE, "en", out=folder / "tts.wav", rate=140)
    with wave.open(str(spoken), "rb") as source:
        params, frames = source.getparams(), source.readframes(source.getnframes())
    step = params.sampwidth * params.nchannels
    memo = folder / "files" / "memo.wav"
    memo.parent.mkdir()
    with wave.open(str(memo), "wb") as out:
        out.setparams(params)
        out.writeframes(bytes(int(before * params.framerate) * step) + frames
                        + bytes(int(after * params.framerate) * step))
    spoken.unlink()
    return memo


@pytest.mark.slow
def test_audio_hit_shows_the_waveform_with_its_range_marked(qtbot, tmp_path: Path) -> None:
    memo = _padded_speech(tmp_path, before=3.0, after=3.0)
    with temporary_library(tmp_path / "lib", mmrag_audio) as library:
        library.index([memo.parent])
        result = next(r for r in run_search(library, "quarterly budget Thursday", Filters())
                      if r.item.kind == "segment")
        media = library.media_dir
    assert Path(result.meta["waveform"]).parent.parent == media
    pane = PreviewPane()
    qtbot.addWidget(pane)
    pane.resize(600, 500)
    pane.show()
    pane.show_result(result, "budget")
    assert pane.waveform.isVisible() and pane.mode() == "text"  # waveform above the transcript
    assert "Thursday" in pane.text.toPlainText()
    assert pane.where.text().endswith("  ·  en")  # the language the segment was transcribed in
    duration = result.meta["duration"]
    start, end = pane.waveform.marked  # type: ignore[misc]
    locator = result.item.locator
    assert start == pytest.approx(locator.time_start / duration) and end == pytest.approx(locator.time_end / duration)
    assert 0.2 < start < end < 0.85  # the speech, between three seconds of silence each side

    # Drawn: the marked band is tinted; the silence before it is not.
    shot = pane.waveform.grab().toImage()
    width, middle = shot.width(), shot.height() // 2
    inside = shot.pixelColor(int((start + end) / 2 * width), 2)
    outside = shot.pixelColor(int(start / 2 * width), 2)
    assert inside != outside
    assert inside.red() > inside.blue()  # amber over the background
    assert shot.pixelColor(int(start / 2 * width), middle) != outside  # the silence's flat line

    # A hit without a waveform (any other item) hides it again.
    pane.clear()
    assert not pane.waveform.isVisible() and pane.waveform.marked is None
