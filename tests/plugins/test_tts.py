"""Spoken answers (mmrag_tts): espeak-ng writes real WAVs in English and Chinese.

This machine has no sound card, so playback cannot be heard here: the tests check the
WAV output (and that asking to play it without an output device is harmless). The
round trip through Whisper shows the speech is intelligible, not just a valid file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import wave
from pathlib import Path

import pytest

import mmrag_tts
from mmrag_audio import transcribe_query
from mmrag_desktop.errors import MMRagError
from mmrag_desktop.testing import run_hook
from mmrag_tts import SpokenAnswer, detect_language, output_device_available, play_wav, speak


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


def test_registers_a_generator_that_outputs_audio() -> None:
    (generator,) = run_hook("register_generators", mmrag_tts)
    assert isinstance(generator, SpokenAnswer) and generator.output_modality == "audio"


def test_language_comes_from_the_text() -> None:
    assert detect_language("The launch moved to March.") == "en"
    assert detect_language("发布日期改到三月。") == "zh"
    assert detect_language("我们用 Python 写代码") == "zh"
    assert detect_language("Use the GPU 显卡 for training large models") == "en"


def test_english_and_chinese_answers_become_wavs(tmp_path: Path) -> None:
    english = speak("The launch moved to the second week of March [1].", out=tmp_path / "en.wav")
    chinese = speak("发布日期改到了三月的第二周。[2]", out=tmp_path / "zh.wav")
    assert english == tmp_path / "en.wav" and chinese.exists()
    assert 1.5 < wav_seconds(english) < 8 and 1.5 < wav_seconds(chinese) < 10
    # Citation marks are not read aloud: the same sentence without them is as long.
    bare = speak("The launch moved to the second week of March.", out=tmp_path / "bare.wav")
    assert wav_seconds(bare) == pytest.approx(wav_seconds(english), abs=0.05)


def test_generator_yields_the_wav_and_playing_without_a_device_is_harmless(tmp_path: Path) -> None:
    (path,) = SpokenAnswer().generate("when?", [], text="In March.", out=tmp_path / "a.wav", play=True)
    assert Path(path).is_file() and wav_seconds(Path(path)) > 0.3
    if not output_device_available():  # the case on this build machine: no sound card
        assert play_wav(path) is False


def test_empty_text_is_refused() -> None:
    with pytest.raises(MMRagError, match="empty"):
        speak("  [1] ")


@pytest.mark.slow
def test_spoken_answer_is_intelligible(tmp_path: Path) -> None:
    path = speak("Tomorrow's meeting is cancelled because of the storm.", out=tmp_path / "a.wav", rate=140)
    heard = transcribe_query(path).lower()
    assert "meeting" in heard and "cancel" in heard and "storm" in heard


def test_speak_command_writes_the_wav(tmp_path: Path) -> None:
    out = tmp_path / "answer.wav"
    result = subprocess.run([sys.executable, "-m", "mmrag_desktop", "--data-dir", str(tmp_path / "lib"), "speak",
                             "Your", "files", "are", "indexed.", "--out", str(out), "--no-play"],
                            capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out) and wav_seconds(out) > 0.5


@pytest.mark.slow
def test_search_with_audio_option(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "storm.md").write_text("The meeting is cancelled because of the storm.\n", "utf-8")
    (docs / "cake.md").write_text("Birthday cake recipe with chocolate.\n", "utf-8")
    clip = speak("Is the meeting cancelled?", out=tmp_path / "q.wav", rate=140)
    run = [sys.executable, "-m", "mmrag_desktop", "--data-dir", str(tmp_path / "lib")]
    assert subprocess.run([*run, "index", str(docs)], capture_output=True, timeout=300).returncode == 0
    result = subprocess.run([*run, "search", "--audio", str(clip), "--json"], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert Path(json.loads(result.stdout)[0]["path"]).name == "storm.md"
    missing = subprocess.run([*run, "search"], capture_output=True, text=True, timeout=60)
    assert missing.returncode != 0 and "--audio" in missing.stderr
