"""Built-in plugin: videos (MP4, MKV, WebM, MOV, AVI, M4V) through PyAV's FFmpeg.

One file becomes many items, each located by its time range:
* a ``keyframe`` item (modality ``image``) per scene (see :mod:`.keyframes`), whose
  ``meta["image"]`` is a JPEG rendition cached under the library's media folder (the
  image encoder embeds it; the GUI shows it as the hit's thumbnail) and whose text is
  what the image plugin says the picture shows (``mmrag_image.describe``), when that
  plugin is installed;
* a ``segment`` item (modality ``audio``) per stretch of speech in the soundtrack,
  transcribed by the audio plugin's pipeline;
* one ``metadata`` item: name, duration, size, tags.

A video without a soundtrack simply has no segments; a damaged one is refused with a
reason, or keeps what decoded before the damage.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from mmrag_audio import MediaExtractor, metadata_text, open_media, soundtrack
from mmrag_audio.decode import open_container, probe
from mmrag_desktop import hookimpl
from mmrag_desktop.interfaces import ExtractContext, ExtractionError, Extractor
from mmrag_desktop.records import Item, Locator

from .keyframes import Keyframe, keyframes

MMRAG_HOOK_API = "1"

log = logging.getLogger(__name__)

_TYPES = {".mp4": "video/mp4", ".m4v": "video/mp4", ".mkv": "video/x-matroska", ".webm": "video/webm",
          ".mov": "video/quicktime", ".avi": "video/x-msvideo"}


def _describer() -> Callable[[Any], str] | None:
    """``mmrag_image.describe`` when the image plugin is installed (it may not be)."""
    try:
        from mmrag_image import describe
    except Exception as exc:  # missing, or its models are not installed
        log.debug("video keyframes get no picture description: %s", exc)
        return None
    return describe


def fingerprint(path: Path) -> str:
    """A cheap content key for cached renditions: size plus the first and last MiB
    (hashing a multi-GB video only to name its thumbnails is not worth it)."""
    digest = hashlib.sha256()
    size = path.stat().st_size
    digest.update(str(size).encode())
    with open(path, "rb") as handle:
        digest.update(handle.read(1 << 20))
        if size > 2 << 20:
            handle.seek(-(1 << 20), 2)
            digest.update(handle.read(1 << 20))
    return digest.hexdigest()[:24]


class VideoExtractor(MediaExtractor):
    """Video files: scene keyframes, transcribed speech, metadata."""

    name = "video"
    types = _TYPES
    extensions = tuple(_TYPES)
    modality = "video"
    media_type = "video/*"
    version = "2"  # 2: face items in keyframes (mmrag_faces), soundtrack waveform, spoken languages
    max_bytes = 16 * 1024**3  # streamed: size costs time, not memory

    def extract(self, path: Path, ctx: ExtractContext) -> Iterator[Item]:
        problems: list[str] = []
        with open_media(path) as container:
            if not container.streams.video and not container.streams.audio:
                raise ExtractionError("no video or audio stream in the file")
            info = probe(container)
            video = container.streams.video[0] if container.streams.video else None
            size = f"{video.codec_context.width}×{video.codec_context.height}" if video is not None else None
            # Each keyframe is written out and described as it comes; only the small
            # items are kept (600 renditions held as pictures would be ~260 MB).
            frames = (list(self._keyframe_items(path, keyframes(container, on_error=problems.append),
                                                info.duration, ctx)) if video is not None else [])
        has_audio = False
        segments: list[Item] = []
        sound: dict[str, Any] = {}
        # The soundtrack: speech items plus the waveform and languages, as for audio files.
        with open_container(path) as container:
            if container.streams.audio:
                has_audio = True
                segments, sound = soundtrack(container, ctx, problems, info.duration)
        if video is not None and not frames and not segments:
            raise ExtractionError(problems[0] if problems else "no frame of the video can be decoded (damaged)")
        meta: dict[str, Any] = {"duration": info.duration, "size": size, "tags": info.tags, "keyframes": len(frames),
                                "has_audio": has_audio, "speech_segments": len(segments), **sound}
        if problems:
            meta["problems"] = problems[:5]
        text = metadata_text(path, info, "Video") + (f"; {size}" if size else "")
        yield Item(text=text, modality="video", kind="metadata",
                   locator=Locator(time_start=0.0, time_end=info.duration), meta=meta)
        yield from frames
        yield from segments

    def _keyframe_items(self, path: Path, frames: Iterator[Keyframe], duration: float | None,
                        ctx: ExtractContext) -> Iterator[Item]:
        """One item per keyframe; each runs until the next keyframe (the last one until
        the end), so an item is held back until its successor is known."""
        describe = _describer()
        key = fingerprint(path) if ctx.media_dir is not None else ""
        held: tuple[float, str, dict[str, Any]] | None = None
        faces: list[Item] = []
        for frame in frames:
            if held is not None:
                yield _keyframe_item(*held, end=frame.time)
                yield from faces
            held = (frame.time, self._describe(path, frame, describe), self._cache(frame, key, ctx))
            faces = _faces(frame, key, ctx, held[2].get("image"))
        if held is not None:
            yield _keyframe_item(*held, end=duration)
            yield from faces

    @staticmethod
    def _cache(frame: Keyframe, key: str, ctx: ExtractContext) -> dict[str, Any]:
        meta: dict[str, Any] = {"time": frame.time}
        if ctx.media_dir is not None:
            target = Path(ctx.media_dir) / "video" / f"{key}-{int(frame.time * 1000):09d}.jpg"
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                partial = target.with_suffix(".part")
                frame.image.save(partial, "JPEG", quality=85)
                partial.replace(target)
            meta["image"] = str(target.resolve())
        return meta

    @staticmethod
    def _describe(path: Path, frame: Keyframe, describe: Callable[[Any], str] | None) -> str:
        text = ""
        if describe is not None:
            try:
                text = describe(frame.image)
            except Exception as exc:  # the picture plugin failing must not lose the video
                log.warning("describing a keyframe of %s failed: %s", path.name, exc)
        return text or f"Video frame at {Locator(time_start=frame.time).describe()} of {path.stem}"


def _faces(frame: Keyframe, key: str, ctx: ExtractContext, thumbnail: str | None) -> list[Item]:
    """One item per face in a keyframe, from the faces plugin when it is installed."""
    if "faces" in ctx.disabled_plugins:  # turned off in the settings: don't look
        return []
    try:
        from mmrag_faces import face_items
    except ImportError:
        return []
    return face_items(frame.image, key=f"{key}-{int(frame.time * 1000):09d}", media_dir=ctx.media_dir,
                      locator=Locator(time_start=frame.time), thumbnail=thumbnail)


def _keyframe_item(time: float, text: str, meta: dict[str, Any], *, end: float | None) -> Item:
    return Item(text=text, modality="image", kind="keyframe",
                locator=Locator(time_start=time, time_end=None if end is None else round(end, 2)), meta=meta)


@hookimpl
def register_extractors(register: Callable[[Extractor], None]) -> None:
    register(VideoExtractor())
