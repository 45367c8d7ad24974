"""The audio plugin (mmrag_audio) on real files: speech synthesised by espeak-ng, encoded
by FFmpeg (PyAV) into MP3/OGG/FLAC/M4A, transcribed by the real Whisper base model.

Transcription is the slow part (~1 s per segment on 2 cores), so each spoken file is
transcribed once per module and the tests read the shared result."""

from __future__ import annotations

import types
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from speech_media import silence, spoken, tone, write_audio

import mmrag_audio
from mmrag_audio import AudioExtractor, AudioQueryTransform, transcribe_query
from mmrag_audio.asr import Transcriber, _drop_echoed_prompt, candidate_languages, pick_language
from mmrag_audio.decode import SAMPLE_RATE, open_container, pcm_windows
from mmrag_desktop import hookimpl
from mmrag_desktop.config import Config
from mmrag_desktop.errors import MMRagError
from mmrag_desktop.interfaces import ExtractContext, ExtractionError, Extractor
from mmrag_desktop.records import Item, Query
from mmrag_desktop.testing import run_hook, temporary_library

BUDGET = "The quarterly budget review is scheduled for Thursday afternoon."
PLANTS = "Remember to water the tomato plants in the greenhouse every morning."


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("audio")
    budget, plants = spoken(BUDGET, "en", tmp), spoken(PLANTS, "en", tmp)
    # 1 s silence, sentence one, 4 s silence, sentence two: two segments with known times.
    plants_at = 1.0 + budget.size / SAMPLE_RATE + 4.0
    memo = write_audio(tmp / "memo.mp3", [silence(1.0), budget, silence(4.0), plants, silence(0.5)])
    return {"tmp": tmp, "memo": memo, "plants_at": plants_at, "budget_end": 1.0 + budget.size / SAMPLE_RATE,
            "budget": budget, "total": plants_at + plants.size / SAMPLE_RATE + 0.5}


@pytest.fixture(scope="module")
def memo_items(media: dict[str, object]) -> list:
    ctx = ExtractContext(media_dir=media["tmp"] / "media")  # type: ignore[operator]
    return list(AudioExtractor().extract(media["memo"], ctx))  # type: ignore[arg-type]


def _bar_heights(png: Path) -> np.ndarray:
    """Height in pixels of the drawn bar in each column of a waveform picture."""
    alpha = np.asarray(Image.open(png).convert("RGBA"))[:, :, 3]
    return (alpha > 0).sum(axis=0)


def test_registers_extractor_and_query_transform() -> None:
    (extractor,) = run_hook("register_extractors", mmrag_audio)
    assert {".wav", ".mp3", ".flac", ".ogg", ".m4a"} <= set(extractor.extensions)
    assert extractor.modality == "audio"
    assert extractor.media_type_for(Path("x.MP3")) == "audio/mpeg"
    assert [type(t) for t in run_hook("register_query_transforms", mmrag_audio)] == [AudioQueryTransform]


@pytest.mark.slow
def test_speech_becomes_timed_transcript_segments(memo_items: list, media: dict[str, object]) -> None:
    meta, *segments = memo_items
    assert meta.kind == "metadata" and "memo" in meta.text and meta.meta["speech_segments"] == 2
    assert [s.kind for s in segments] == ["segment", "segment"]
    assert all(s.modality == "audio" and s.meta["language"] == "en" for s in segments)
    assert meta.meta["language"] == "en" and meta.meta["languages"] == ["en"]
    first, second = segments
    assert "budget" in first.text.lower() and "thursday" in first.text.lower()
    assert "tomato" in second.text.lower()
    # Within a few tenths of a second of where the speech was placed (the clip's end
    # includes espeak-ng's trailing silence, hence the wider bound there).
    assert first.locator.time_start == pytest.approx(1.0, abs=0.4)
    assert media["budget_end"] - 1.0 < first.locator.time_end <= media["budget_end"] + 0.3  # type: ignore[operator]
    assert second.locator.time_start == pytest.approx(media["plants_at"], abs=0.4)


@pytest.mark.slow
def test_speech_draws_a_waveform_with_the_duration(memo_items: list, media: dict[str, object]) -> None:
    meta, *segments = memo_items
    png = Path(meta.meta["waveform"])
    assert png.is_file() and png.parent.parent == media["tmp"] / "media"  # type: ignore[operator]
    assert Image.open(png).size == (600, 80)
    total = media["total"]
    for segment in segments:
        assert segment.meta["waveform"] == str(png)
        assert segment.meta["duration"] == pytest.approx(total, abs=1.0)
    heights = _bar_heights(png)
    column = lambda seconds: int(seconds / segments[0].meta["duration"] * 600)  # noqa: E731
    # Speech columns have tall bars; the 4 s gap between the sentences is a flat line.
    speech = heights[column(1.2):column(media["budget_end"] - 0.2)]  # type: ignore[operator]
    gap = heights[column(media["budget_end"] + 1.0):column(media["plants_at"] - 1.0)]  # type: ignore[operator]
    assert speech.max() > 40 and np.median(speech) > 10
    assert gap.max() <= 2


@pytest.mark.slow
def test_spoken_clip_found_by_paraphrase_at_the_right_time(tmp_path: Path, media: dict[str, object]) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "memo.mp3").write_bytes(Path(media["memo"]).read_bytes())  # type: ignore[arg-type]
    (folder / "notes.md").write_text("# Travel\nThe train to the coast leaves at nine.\n", "utf-8")
    (folder / "recipe.txt").write_text("Bake the bread for forty minutes at high heat.\n", "utf-8")
    with temporary_library(tmp_path / "lib", mmrag_audio, dense=True) as library:
        report = library.index([folder])
        assert report.failed == 0
        # No word of the query is in the transcript: only the meaning connects them.
        hits = library.search("irrigating vegetables in a glasshouse", k=3, retrievers=["dense"])
    assert hits[0].path.name == "memo.mp3"
    best = hits[0].best
    assert best.kind == "segment" and best.modality == "audio"
    assert best.locator.time_start == pytest.approx(media["plants_at"], abs=0.4)


@pytest.mark.slow
def test_chinese_speech_is_detected_among_the_candidate_languages(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # Whisper base's overall top guess for this espeak-ng Mandarin clip is Thai (p 0.84;
    # Chinese 0.05, English 0.01: benchmarks/results/speech.md); among the default
    # candidates (locale "C": English and Chinese) Chinese wins.
    for name in ("LC_ALL", "LC_MESSAGES", "MMRAG_ASR_LANGUAGE", "MMRAG_ASR_LANGUAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    clip = write_audio(tmp_path / "周末.m4a", [silence(0.4), spoken("周末我们去公园野餐。", "zh", tmp_path), silence(0.4)])
    meta, segment = AudioExtractor().extract(clip, ExtractContext())
    assert segment.meta["language"] == "zh" and 0.5 < segment.meta["language_probability"] <= 1.0
    assert "周末" in segment.text
    assert meta.meta["language"] == "zh"


def test_candidate_languages_come_from_setting_environment_or_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "MMRAG_ASR_LANGUAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    assert candidate_languages() == ("de", "en", "zh")
    assert candidate_languages(["ja", "klingon", "en"]) == ("ja", "en")  # the library's setting
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert candidate_languages() == ("en", "zh")
    monkeypatch.setenv("MMRAG_ASR_LANGUAGES", "fr, en")
    assert candidate_languages(["ja"]) == ("fr", "en")
    monkeypatch.setenv("MMRAG_ASR_LANGUAGES", "auto")
    assert candidate_languages(["ja"]) == ()
    monkeypatch.setenv("MMRAG_ASR_LANGUAGES", "zh")
    assert Transcriber().forced == "zh"  # one candidate: nothing to detect


def test_language_is_the_most_probable_candidate() -> None:
    heard = [("th", 0.84), ("zh", 0.05), ("vi", 0.04), ("en", 0.01)]
    language, probability = pick_language(heard, ("en", "zh"))
    assert language == "zh" and probability == pytest.approx(0.05 / 0.06)
    assert pick_language(heard, ()) == ("th", pytest.approx(0.84 / 0.94))
    assert pick_language(heard, ("de",)) == ("de", 0.0)


def test_whisper_echoing_its_prompt_is_not_transcript() -> None:
    assert _drop_echoed_prompt("以下是普通话的句子。", "zh") == ""
    assert _drop_echoed_prompt("图书馆的书, 以下是普通话的句子。", "zh") == "图书馆的书,"
    assert _drop_echoed_prompt("以下是普通话的句子。", "en") == "以下是普通话的句子。"  # no prompt in English



def test_sound_without_speech_is_indexed_by_its_tags(tmp_path: Path) -> None:
    bell = write_audio(tmp_path / "door-bell.ogg", [tone(1.5, 880), silence(0.3), tone(1.0, 660)],
                       tags={"title": "Front door chime", "artist": "Sound Lab"})
    (item,) = AudioExtractor().extract(bell, ExtractContext())
    assert item.kind == "metadata" and item.meta["speech_segments"] == 0
    assert "door bell" in item.text and "Front door chime" in item.text and "Sound Lab" in item.text
    assert item.meta["duration"] == pytest.approx(2.8, abs=0.1)
    with temporary_library(tmp_path / "lib", mmrag_audio) as library:
        library.index([bell])
        assert library.search("chime")[0].path == bell


def test_waveform_marks_sound_and_silence(tmp_path: Path) -> None:
    # 1 s tone, 2 s silence, 1 s tone: no speech, so only the VAD runs (fast).
    clip = write_audio(tmp_path / "beeps.wav", [tone(1.0), silence(2.0), tone(1.0, 660)])
    (item,) = AudioExtractor().extract(clip, ExtractContext(media_dir=tmp_path / "media"))
    png = Path(item.meta["waveform"])
    assert png.is_file() and png.suffix == ".png" and Image.open(png).size == (600, 80)
    heights = _bar_heights(png)
    assert (heights[10:140] > 40).all()  # the tones (0.3 of full scale, the loudest part)
    assert (heights[165:285] <= 2).all() and (heights[460:590] > 40).all()  # silence, then tone
    # The same audio draws the same picture: re-indexing reuses the file.
    (again,) = AudioExtractor().extract(clip, ExtractContext(media_dir=tmp_path / "media"))
    assert again.meta["waveform"] == str(png) and len(list(png.parent.iterdir())) == 1
    # Outside a library there is nowhere to keep the picture.
    (bare,) = AudioExtractor().extract(clip, ExtractContext())
    assert "waveform" not in bare.meta


@pytest.mark.slow
def test_truncated_mp3_keeps_what_decodes(tmp_path: Path, memo_items: list, media: dict[str, object]) -> None:
    data = Path(media["memo"]).read_bytes()  # type: ignore[arg-type]
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(data[: int(len(data) * 0.45)])  # ends inside the silence after sentence one
    _meta, *segments = AudioExtractor().extract(cut, ExtractContext())
    assert len(segments) == 1 and "budget" in segments[0].text.lower()


@pytest.mark.parametrize("content", [b"", b"ID3\x03\x00\x00\x00garbage" * 3, b"\xff" * 5000])
def test_empty_or_garbage_file_is_refused_with_a_reason(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.mp3"
    path.write_bytes(content)
    with pytest.raises(ExtractionError, match=r"empty|damaged|not a readable|no audio"):
        list(AudioExtractor().extract(path, ExtractContext()))


def test_long_audio_is_streamed_in_bounded_windows(tmp_path: Path) -> None:
    # Four minutes of FLAC: decoded in 20 s windows, never as one 15 MB array.
    path = write_audio(tmp_path / "long.flac", [silence(240.0)])
    with open_container(path) as container:
        sizes = [w.size for _start, w in pcm_windows(container, window_s=20.0)]
    assert max(sizes) <= 20 * SAMPLE_RATE and len(sizes) >= 12
    assert sum(sizes) == pytest.approx(240 * SAMPLE_RATE, abs=SAMPLE_RATE // 10)


@pytest.mark.slow
def test_voice_query_is_transcribed_and_searches(tmp_path: Path, media: dict[str, object]) -> None:
    clip = write_audio(tmp_path / "question.wav", [silence(0.3), media["budget"]])  # type: ignore[list-item]
    query = AudioQueryTransform().transform(Query(text="please", modality="audio", path=clip))
    assert query.text is not None and query.text.startswith("please ")
    assert "budget" in query.text.lower() and "thursday" in query.text.lower()
    assert query.original == "please" and query.modality == "audio"
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "finance.md").write_text("Quarterly budget review: Thursday, 3 pm, room 4.\n", "utf-8")
    (notes / "garden.md").write_text("Tomatoes need water every morning.\n", "utf-8")
    with temporary_library(tmp_path / "lib", mmrag_audio) as library:
        library.index([notes])
        # The transcript is already in the query: without the path it is not heard again.
        hits = library.search(replace(query, path=None))
    assert hits[0].path.name == "finance.md"


def test_voice_query_with_a_broken_file_says_why(tmp_path: Path) -> None:
    path = tmp_path / "noise.wav"
    path.write_bytes(b"RIFF....WAVE")
    with pytest.raises(MMRagError, match="voice query"):
        transcribe_query(path)
    silent = write_audio(tmp_path / "silent.wav", [np.zeros(SAMPLE_RATE, dtype=np.float32)])
    assert transcribe_query(silent) == ""


def test_long_recordings_get_a_longer_time_limit(tmp_path: Path) -> None:
    # The indexer's 300 s per-file limit would fail a one-hour meeting that transcribes
    # at 5x real time; the limit grows with the duration read from the header.
    path = write_audio(tmp_path / "long.flac", [silence(400.0)])
    assert AudioExtractor().time_limit(path, 300.0) == pytest.approx(400.0, abs=1.0)
    short = write_audio(tmp_path / "short.wav", [silence(2.0)])
    assert AudioExtractor().time_limit(short, 300.0) == 300.0
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(b"nope")
    assert AudioExtractor().time_limit(broken, 300.0) == 300.0


def test_recording_without_a_microphone_says_so(tmp_path: Path) -> None:
    # This build machine has no sound card, so only the refusals can be exercised here;
    # with a microphone, record() returns a WAV that transcribe_query() reads.
    from mmrag_audio.microphone import microphone_available, record

    with pytest.raises(MMRagError, match="between 0 and 60"):
        record(0)
    if not microphone_available():
        with pytest.raises(MMRagError, match="No microphone"):
            record(1.0, tmp_path / "q.wav")
        assert not (tmp_path / "q.wav").exists()


def test_library_hands_its_content_languages_to_extractors(tmp_path: Path) -> None:
    # What `mmrag config set content_languages ja en` reaches: the audio extractor reads
    # ctx.languages; a stand-in extractor shows what the indexer passes.
    seen: list[tuple[str, ...]] = []

    class Notes(Extractor):
        name = "language-probe"
        extensions = (".probe",)

        def extract(self, path: Path, ctx: ExtractContext) -> Iterator[Item]:
            seen.append(ctx.languages)
            yield Item("probe")

    module = types.ModuleType("language_probe")
    module.register_extractors = hookimpl(lambda register: register(Notes()))  # type: ignore[attr-defined]
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.probe").write_text("x", "utf-8")
    config = Config(encoders=(), content_languages=("ja", "en"))
    with temporary_library(tmp_path / "lib", module, config=config) as library:
        library.index([tmp_path / "docs"])
    assert seen == [("ja", "en")]


def test_query_transforms_see_the_librarys_content_languages(tmp_path: Path) -> None:
    # A spoken query is heard among the same candidate languages as the recordings:
    # the library puts `content_languages` on every query its transforms get.
    from mmrag_desktop.interfaces import QueryTransform

    seen: list[tuple[str, ...]] = []

    class Probe(QueryTransform):
        name = "language-probe"

        def transform(self, query: Query) -> Query:
            seen.append(query.languages)
            return query

    module = types.ModuleType("query_language_probe")
    module.register_query_transforms = hookimpl(lambda register: register(Probe()))  # type: ignore[attr-defined]
    config = Config(encoders=(), content_languages=("ja", "en"))
    with temporary_library(tmp_path / "lib", module, config=config) as library:
        library.search("hello", k=1)
    assert seen == [("ja", "en")]
