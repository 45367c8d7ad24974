"""The picture extractor: one visual item per picture plus its OCR text, located."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from PIL import Image

from mmrag_desktop.interfaces import ExtractContext, ExtractionError, Extractor
from mmrag_desktop.records import Item, Locator

from . import picture as pic
from .analysis import FEATURES, SETTINGS, analyse
from .ocr import TextLine, union


def _meta_text(picture: pic.Picture) -> str:
    parts = [f"{picture.format} image, {picture.width}x{picture.height}"]
    if picture.exif.get("taken"):
        parts.append(f"taken {picture.exif['taken'].replace('T', ' ')}")
    if picture.exif.get("camera"):
        parts.append(f"camera {picture.exif['camera']}")
    return ", ".join(parts) + "."


def picture_items(picture: pic.Picture, key: str, ctx: ExtractContext, *, kind: str = "image",
                  locator: Locator | None = None, ocr: bool = True, detect: bool = True,
                  sharper: Callable[[], Image.Image] | None = None) -> Iterator[Item]:
    """The items of one picture: a visual item (labels + text, thumbnail, features)
    and, when it holds text, the text in chunks located by their bounding boxes."""
    result, factor = analyse(picture.image, ocr=ocr, detect=detect, sharper=sharper)
    thumbnail = pic.write_thumbnail(picture.image, ctx.media_dir, key)
    if thumbnail is not None:
        FEATURES.put(thumbnail, result.features)
    # Boxes are reported in pixels of the original picture.
    size = picture.width / picture.image.width if picture.image.width else 1.0
    scale = factor * size
    meta = {
        "width": picture.width, "height": picture.height, "format": picture.format,
        "labels": [[label.name.split(", ")[0], round(label.probability, 3)] for label in result.labels],
        # Detected objects, boxes (x, y, width, height) in pixels of the original picture.
        "objects": [{"label": o.label, "score": o.score, "bbox": [round(v * size, 1) for v in o.bbox]}
                    for o in result.objects],
        "phash": pic.phash(picture.image),
        **picture.exif,
        **({"animated": True} if picture.frames > 1 else {}),
        **({"image": thumbnail} if thumbnail else {}),
    }
    base = locator or Locator()
    text = result.text()
    if not ctx.fits(text):
        text = result.caption() + "\nText in the picture: " + " ".join(line.text for line in result.lines)[:400]
    yield Item(text=f"{text}\n{_meta_text(picture)}", modality="image", kind=kind, locator=base, meta=meta)
    if kind != "scanned-page":
        people = any(o.label == "person" for o in result.objects) if detect and SETTINGS["detect"] else None
        yield from _faces(picture.image, key, ctx, base, size, thumbnail, people)
    chunk: list[TextLine] = []
    for line in [*result.lines, None]:
        if line is not None and ctx.fits("\n".join(x.text for x in [*chunk, line])):
            chunk.append(line)
            continue
        if chunk:
            box = tuple(round(v * scale, 1) for v in union([x.bbox for x in chunk]))
            yield Item(text="\n".join(x.text for x in chunk), modality="text", kind="ocr",
                       locator=replace(base, bbox=box), meta={"image": thumbnail} if thumbnail else {})
        chunk = [line] if line is not None else []


def _faces(image: Image.Image, key: str, ctx: ExtractContext, locator: Locator, scale: float,
           thumbnail: str | None, people: bool | None) -> list[Item]:
    """One item per face, from the faces plugin when it is installed (mmrag_faces)."""
    if "faces" in ctx.disabled_plugins:  # turned off in the settings: don't look
        return []
    try:
        from mmrag_faces import face_items
    except ImportError:
        return []
    return face_items(image, key=key, media_dir=ctx.media_dir, locator=locator, scale=scale, thumbnail=thumbnail,
                      people=people)


class ImageExtractor(Extractor):
    """Picture files: one visual item plus located OCR text."""

    name = "image"
    extensions = (".jpg", ".jpeg", ".jpe", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff",
                  *((".heic", ".heif") if pic.HEIF else ()))
    modality = "image"
    media_type = "image/*"
    # 2: face items (mmrag_faces) and OCR word splitting; pictures indexed by 1 are
    # read again on the next pass so they get them too.
    version = "2"
    max_bytes = 200 * 1024 * 1024
    # Thread-safe (onnxruntime sessions are; OCR calls are serialised): the indexer may
    # decode the next picture while this one is classified.
    concurrent = True

    _TYPES: ClassVar[dict[str, str]] = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".jpe": "image/jpeg", ".png": "image/png",
              ".webp": "image/webp", ".gif": "image/gif", ".bmp": "image/bmp", ".tif": "image/tiff",
              ".tiff": "image/tiff", ".heic": "image/heic", ".heif": "image/heif"}

    def media_type_for(self, path: Path) -> str:
        return self._TYPES.get(path.suffix.lower(), "image/*")

    def extract(self, path: Path, ctx: ExtractContext) -> Iterator[Item]:
        data = path.read_bytes()
        if not data:
            raise ExtractionError("the file is empty")
        picture = pic.open_picture(data, work_side=pic.FAST_SIDE, least_side=pic.LEAST_SIDE)
        yield from picture_items(picture, pic.content_key(data), ctx,
                                 sharper=lambda: pic.open_picture(data).image)

