"""Built-in plugin: speech and sound files (WAV, MP3, FLAC, OGG, Opus, M4A, AAC, …).

Each stretch of speech becomes one ``audio`` item of kind ``segment`` whose text is its
transcript, located by its time range (seconds), with the detected language in
``meta``; so "the memo where we moved the launch" finds the right file at the right
minute. Every file also gets one ``metadata`` item (name, duration, tags such as title
and artist), so music and sounds without speech are still found by what they are
called.

The pipeline (decode → VAD → Whisper) lives in :mod:`.decode` and :mod:`.asr`; the video
plugin reuses it for soundtracks through :func:`speech_items`. A query that carries a
clip (``Query(modality="audio", path=...)``, ``mmrag search --audio``, the GUI's voice
query) is transcribed by :class:`AudioQueryTransform` / :func:`transcribe_query`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from mmrag_desktop import hookimpl
from mmrag_desktop.errors import MMRagError
from mmrag_desktop.interfaces import ExtractContext, ExtractionError, Extractor, QueryTransform
from mmrag_desktop.records import Item, Locator, Query

from .asr import Segment, Transcriber
from .decode import AudioInfo, open_container, pcm_windows, probe
from .waveform import Envelope, write_png

MMRAG_HOOK_API = "1"

#: Wall seconds extraction may take per second of media: transcription runs several
#: times faster than real time on 2 cores, so this leaves room for a busy machine while
#: still stopping a decoder that hangs.
SECONDS_PER_MEDIA_SECOND = 1.0

#: Longest clip a query transcribes (a spoken question, not a recording to index).
QUERY_MAX_S = 60.0

_TYPES = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".flac": "audio/flac", ".ogg": "audio/ogg",
          ".oga": "audio/ogg", ".opus": "audio/opus", ".m4a": "audio/mp4", ".aac": "audio/aac",
          ".wma": "audio/x-ms-wma", ".aiff": "audio/aiff", ".aif": "audio/aiff"}


def speech_items(segments: Iterator[Segment]) -> Iterator[Item]:
    """One ``audio``/``segment`` item per transcribed segment."""
    for segment in segments:
        yield Item(text=segment.text, modality="audio", kind="segment",
                   locator=Locator(time_start=round(segment.start, 2), time_end=round(segment.end, 2)),
                   meta={"language": segment.language, "language_probability": segment.language_probability})


def spoken_languages(segments: list[Item]) -> dict[str, Any]:
    """``{"language": main, "languages": [all, by seconds of speech]}`` for a file's
    metadata item (empty when nothing was said), so a hit on the file can name them."""
    seconds: dict[str, float] = {}
    for item in segments:
        language = item.meta.get("language")
        if language:
            span = (item.locator.time_end or 0.0) - (item.locator.time_start or 0.0)
            seconds[language] = seconds.get(language, 0.0) + max(span, 0.01)
    ranked = sorted(seconds, key=seconds.__getitem__, reverse=True)
    return {"language": ranked[0], "languages": ranked} if ranked else {}


def open_media(path: Path) -> Any:
    """The opened container of a file to extract, or an :class:`ExtractionError` that
    says why not (empty, not media, damaged)."""
    if path.stat().st_size == 0:
        raise ExtractionError("the file is empty (0 bytes)")
    try:
        return open_container(path)
    except ValueError as exc:
        raise ExtractionError(str(exc)) from None


def soundtrack(container: Any, ctx: ExtractContext, problems: list[str],
               duration: float | None = None) -> tuple[list[Item], dict[str, Any]]:
    """The speech items of ``container``'s first audio stream, and what its file's
    metadata item should carry: the waveform picture (under ``ctx.media_dir``) and the
    languages spoken. Decoded once, streamed: the waveform is drawn from the same
    windows Whisper hears. Shared by audio files and video soundtracks."""
    envelope = Envelope()
    windows = envelope.tap(pcm_windows(container, on_error=problems.append))
    segments = list(speech_items(Transcriber(languages=ctx.languages).segments(windows)))
    # The waveform spans the decoded audio, so its length is what a hit's time range
    # is drawn against (the header's duration may be missing or rounded).
    wave: dict[str, Any] = {"duration": round(envelope.seconds, 3) or duration}
    file_meta = spoken_languages(segments)
    if ctx.media_dir is not None:
        png = write_png(envelope, Path(ctx.media_dir) / "audio")
        if png is not None:
            wave["waveform"] = file_meta["waveform"] = str(png)
    return [replace(s, meta={**s.meta, **wave}) for s in segments], file_meta


def media_time_limit(path: Path, default: float) -> float:
    """The indexer's per-file time limit, raised for long recordings (duration read from
    the container header; no decoding)."""
    try:
        with open_container(path) as container:
            duration = probe(container).duration
    except Exception:  # unreadable: extraction will say why, within the default limit
        return default
    return max(default, (duration or 0.0) * SECONDS_PER_MEDIA_SECOND)


def metadata_text(path: Path, info: AudioInfo, what: str = "Audio") -> str:
    """A line describing the file for search: its name, length and tags."""
    parts = [f"{what}: {path.stem.replace('_', ' ').replace('-', ' ')}"]
    if info.duration is not None:
        parts.append(f"duration {info.duration:.1f} s")
    parts += [f"{key}: {value}" for key, value in info.tags.items()]
    return "; ".join(parts)


class MediaExtractor(Extractor):
    """Base of the extractors of FFmpeg-readable media (audio here, video in
    ``mmrag_video``): media type by extension, time limit by the recording's length."""

    types: ClassVar[dict[str, str]] = {}

    def media_type_for(self, path: Path) -> str:
        return self.types.get(path.suffix.lower(), self.media_type)

    def time_limit(self, path: Path, default: float) -> float:
        return media_time_limit(path, default)


class AudioExtractor(MediaExtractor):
    """Audio files: timed transcript segments plus a metadata item."""

    name = "audio"
    types = _TYPES
    extensions = tuple(_TYPES)
    modality = "audio"
    media_type = "audio/*"
    version = "3"  # 2: waveform picture and duration in meta; 3: language among candidates
    # Decoding is streamed, so size costs time, not memory; the indexer's per-file time
    # limit still applies.
    max_bytes = 4 * 1024**3

    def extract(self, path: Path, ctx: ExtractContext) -> Iterator[Item]:
        problems: list[str] = []
        with open_media(path) as container:
            if not container.streams.audio:
                raise ExtractionError("no audio stream in the file")
            info = probe(container)
            segments, sound = soundtrack(container, ctx, problems, info.duration)
        meta: dict[str, Any] = {"duration": info.duration, "codec": info.codec, "tags": info.tags,
                                "speech_segments": len(segments), **sound}
        if problems:
            meta["problems"] = problems[:5]
            if not segments and info.duration is None:
                raise ExtractionError(problems[0])
        yield Item(text=metadata_text(path, info), modality="audio", kind="metadata",
                   locator=Locator(time_start=0.0, time_end=info.duration), meta=meta)
        yield from segments


def transcribe_query(path: Path | str, *, max_seconds: float = QUERY_MAX_S, languages: Sequence[str] = ()) -> str:
    """The transcript of a spoken query clip (the CLI's ``--audio`` and the GUI's voice
    query), or "" when it holds no speech. Only the first ``max_seconds`` are heard;
    ``languages`` are the candidates for its spoken language (as for indexing)."""
    try:
        container = open_container(path)
    except ValueError as exc:
        raise MMRagError(f"{Path(path).name} cannot be used as a voice query: {exc}") from None
    with container:
        if not container.streams.audio:
            raise MMRagError(f"{Path(path).name} has no audio to transcribe.")
        windows = pcm_windows(container, window_s=max_seconds)
        first = next(windows, None)
        windows.close()
    if first is None:
        return ""
    return " ".join(s.text for s in Transcriber(languages=languages).segments(iter([first])))


class AudioQueryTransform(QueryTransform):
    """A query that carries a recording (or a video: ``mmrag search --file clip.mp4``)
    searches with what is said in it, the typed words (if any) kept in front and in
    ``original``. A video without sound is left to other transforms."""

    name = "audio-transcript"
    priority = 10

    def transform(self, query: Query) -> Query:
        if query.modality not in ("audio", "video") or query.path is None:
            return query
        try:
            transcript = transcribe_query(query.path, languages=query.languages)
        except MMRagError:
            if query.modality == "video":
                return query
            raise
        typed = (query.text or "").strip()
        text = " ".join(p for p in (typed, transcript) if p)
        if not transcript and query.modality == "video":
            return query
        return replace(query, text=text or None, original=query.original if query.original is not None else typed)


@hookimpl
def register_extractors(register: Callable[[Extractor], None]) -> None:
    register(AudioExtractor())


@hookimpl
def register_query_transforms(register: Callable[[QueryTransform], None]) -> None:
    register(AudioQueryTransform())
