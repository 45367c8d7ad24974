"""The video plugin (mmrag_video) on videos PyAV writes at test time: still "slides"
drawn with Pillow, a soundtrack spoken by espeak-ng, real Whisper for the speech."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from speech_media import silence, slide, spoken, write_video

import mmrag_video
from mmrag_desktop.interfaces import ExtractContext, ExtractionError
from mmrag_desktop.testing import run_hook, temporary_library
from mmrag_video import VideoExtractor
from mmrag_video.keyframes import MAX_PER_MINUTE, RENDITION_PX

SPEECH = "The red slide shows the sales figures for the northern region."
SCENES = [((200, 0, 0), 4.0), ((0, 0, 200), 4.0), ((0, 150, 0), 3.0)]


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("video")
    audio = np.concatenate([silence(5.0), spoken(SPEECH, "en", tmp)])  # speech starts at 5 s
    return write_video(tmp / "talk.mp4", [(slide(f"scene {n}", color, (640, 360)), secs)
                                           for n, (color, secs) in enumerate(SCENES)], audio=audio)


def test_registers_video_extractor() -> None:
    (extractor,) = run_hook("register_extractors", mmrag_video)
    assert {".mp4", ".mkv", ".webm", ".mov"} <= set(extractor.extensions)
    assert extractor.media_type_for(Path("a.webm")) == "video/webm"


@pytest.mark.slow
def test_keyframes_per_scene_and_timed_speech(talk: Path, tmp_path: Path) -> None:
    items = list(VideoExtractor().extract(talk, ExtractContext(media_dir=tmp_path / "media")))
    meta = items[0]
    assert meta.kind == "metadata" and meta.meta["has_audio"] and "640×360" in meta.text
    frames = [i for i in items if i.kind == "keyframe"]
    assert [f.locator.time_start for f in frames] == pytest.approx([0.0, 4.0, 8.0], abs=0.6)
    assert frames[0].locator.time_end == frames[1].locator.time_start
    for frame in frames:
        assert frame.modality == "image"
        picture = Path(frame.meta["image"])
        assert picture.is_file() and picture.is_relative_to(tmp_path / "media")
        with Image.open(picture) as image:
            assert max(image.size) <= RENDITION_PX and image.format == "JPEG"
    # The middle keyframe shows the blue slide.
    with Image.open(frames[1].meta["image"]) as image:
        red, _green, blue = image.convert("RGB").getpixel((100, 100))
        assert blue > 150 and red < 60
    (segment,) = [i for i in items if i.kind == "segment"]
    assert segment.modality == "audio" and "sales" in segment.text.lower()
    assert segment.locator.time_start == pytest.approx(5.0, abs=0.4)
    assert segment.meta["language"] == "en" and meta.meta["languages"] == ["en"]
    # The soundtrack's waveform, as audio files get it, drawn over the decoded length.
    waveform = Path(meta.meta["waveform"])
    assert waveform.is_file() and waveform.is_relative_to(tmp_path / "media")
    assert segment.meta["waveform"] == str(waveform)
    assert segment.locator.time_end <= segment.meta["duration"] <= sum(secs for _c, secs in SCENES) + 0.5


@pytest.mark.slow
def test_video_hit_carries_its_time(talk: Path, tmp_path: Path) -> None:
    with temporary_library(tmp_path / "lib", mmrag_video) as library:
        report = library.index([talk])
        assert report.failed == 0
        (hit,) = library.search("sales figures northern region", k=1)
    assert hit.path == talk and hit.best.kind == "segment"
    assert hit.best.locator.time_start == pytest.approx(5.0, abs=0.4)
    assert hit.to_json()["locator"]["time_start"] == hit.best.locator.time_start  # what `--json` prints
    assert {i.get("language") for i in hit.to_json()["items"] if i["kind"] == "segment"} == {"en"}


def test_video_without_sound_and_webm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Checks the text a keyframe gets without the picture plugin; with it (the default
    # install) frames are described by mmrag_image, covered by the image tests.
    monkeypatch.setattr(mmrag_video, "_describer", lambda: None)
    path = write_video(tmp_path / "silent.webm", [(slide("a", (250, 250, 0), (160, 120)), 3.0),
                                                   (slide("b", (0, 0, 0), (160, 120)), 3.0)])
    items = list(VideoExtractor().extract(path, ExtractContext()))
    assert items[0].meta["has_audio"] is False and items[0].meta["speech_segments"] == 0
    frames = [i for i in items if i.kind == "keyframe"]
    assert len(frames) == 2 and "image" not in frames[0].meta  # no media folder outside a library
    assert frames[1].text == "Video frame at 0:03 of silent"


def test_keyframes_are_bounded_per_minute(tmp_path: Path) -> None:
    # 70 s that change picture twice a second: a scene "cut" at every sample.
    colors = [(255, 255, 255), (0, 0, 0)]
    scenes = [(Image.new("RGB", (64, 48), colors[n % 2]), 0.5) for n in range(140)]
    path = write_video(tmp_path / "flicker.mkv", scenes, fps=4)
    frames = [i for i in VideoExtractor().extract(path, ExtractContext()) if i.kind == "keyframe"]
    times = [f.locator.time_start for f in frames]
    assert all(sum(1 for t in times if start <= t < start + 60) <= MAX_PER_MINUTE for start in times)
    assert len(frames) <= 2 * MAX_PER_MINUTE


def test_keyframe_text_comes_from_the_image_plugin_when_installed(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # The image plugin is built on another branch; its contract is a function
    # describe(PIL image) -> str. A stand-in module with that function checks the wiring.
    seen: list[tuple[int, int]] = []

    def describe(image: Image.Image) -> str:
        seen.append(image.size)
        return "a yellow square"

    monkeypatch.setitem(sys.modules, "mmrag_image", types.SimpleNamespace(describe=describe))
    path = write_video(tmp_path / "clip.mov", [(slide("a", (250, 250, 0), (1280, 720)), 2.0)])
    (frame,) = [i for i in VideoExtractor().extract(path, ExtractContext()) if i.kind == "keyframe"]
    assert frame.text == "a yellow square" and seen == [(512, 288)]


@pytest.mark.parametrize("damage", ["empty", "garbage", "truncated"])
def test_damaged_video_is_refused_with_a_reason(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "broken.mp4"
    if damage == "truncated":
        good = write_video(tmp_path / "good.mp4", [(slide("a", (9, 9, 9)), 2.0)])
        data = good.read_bytes()
        path.write_bytes(data[: len(data) // 3])
    else:
        path.write_bytes(b"" if damage == "empty" else b"\x00\x00\x00\x18ftypmp42" + b"\x13" * 4000)
    with pytest.raises(ExtractionError, match=r"empty|damaged|not a readable|no video"):
        list(VideoExtractor().extract(path, ExtractContext()))


@pytest.mark.slow
def test_a_video_as_query_searches_with_its_speech(talk: Path, tmp_path: Path) -> None:
    from mmrag_audio import AudioQueryTransform
    from mmrag_desktop.records import Query

    query = AudioQueryTransform().transform(Query(modality="video", path=talk))
    assert query.text is not None and "sales" in query.text.lower() and query.modality == "video"
    silent = write_video(tmp_path / "silent.mp4", [(slide("a", (9, 9, 9), (64, 48)), 1.0)])
    unchanged = Query(modality="video", path=silent)
    assert AudioQueryTransform().transform(unchanged) is unchanged
