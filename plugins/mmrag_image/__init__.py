"""Built-in plugin: pictures (JPEG, PNG, WebP, GIF, BMP, TIFF, HEIC with pillow-heif).

No image-text model ships where this app installs from, so a picture becomes searchable
by *conversion to text* plus *visual features*:

* its item text is :func:`describe` — ImageNet labels with their written descriptions
  (EfficientNet-Lite0, see :mod:`.vision`) and any text in it (RapidOCR, run only when a
  cheap check finds text, see :mod:`.ocr`), plus EXIF date and camera;
* the pooled 1280-d features are an image→image embedding space
  (:class:`ImageFeatureEncoder`), which embeds every visual item from its
  ``meta["image"]`` rendition (pictures, video keyframes, rendered 3D views);
* a picture attached to a query is described the same way (:class:`ImageQueryTransform`)
  so it searches text too.

Other plugins call :func:`describe` for their own visual material (video, 3D).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

import numpy as np
from PIL import Image

from mmrag_desktop import hookimpl
from mmrag_desktop.errors import MMRagError
from mmrag_desktop.interfaces import Encoder, ExtractContext, ExtractionError, Extractor, QueryTransform
from mmrag_desktop.records import Item, Locator, Query

from . import picture as pic
from .ocr import Ocr, TextLine, union
from .vision import Label, Vision, class_description, preprocess, top_labels

MMRAG_HOOK_API = "1"

__all__ = ["VISUAL_KINDS", "analyse", "describe", "open_picture"]

#: Item kinds whose ``meta["image"]`` the image encoder embeds.
VISUAL_KINDS = frozenset({"image", "keyframe", "view", "scanned-page", "frame"})

#: Plugin settings. ``ocr``: read text in pictures (environment MMRAG_IMAGE_OCR=0 turns
#: it off, e.g. to index a large photo collection faster).
SETTINGS = {"ocr": os.environ.get("MMRAG_IMAGE_OCR", "1") != "0"}

#: Least probability for a label to become words of a picture query.
QUERY_LABEL_MIN = 0.6

VISION = Vision()
OCR = Ocr()
open_picture = pic.open_picture


@dataclass(frozen=True)
class Analysis:
    labels: tuple[Label, ...]
    features: np.ndarray  # (1280,) L2-normalised
    lines: tuple[TextLine, ...]

    def caption(self) -> str:
        """Labels, then the written description of the most probable class."""
        names = "; ".join(label.name for label in self.labels)
        best = self.labels[0]
        description = class_description(best.index) if best.probability >= 0.2 else ""
        return f"Picture of: {names}." + (f" {description}" if description else "")

    def text(self) -> str:
        words = "\n".join(line.text for line in self.lines)
        return self.caption() + (f"\nText in the picture:\n{words}" if words else "")


def analyse(image: Image.Image, *, ocr: bool = True,
            sharper: Callable[[], Image.Image] | None = None) -> tuple[Analysis, float]:
    """Labels, features and (when the picture has text) OCR lines for one picture.

    ``sharper`` gives a higher-resolution copy for OCR when the cheap check found text
    (pictures are decoded small first, which is all labels and thumbnails need). Returns
    the analysis and the factor from OCR box pixels to ``image`` pixels.
    """
    logits, features = VISION.run(preprocess(image)[None])
    lines: list[TextLine] = []
    factor = 1.0
    if ocr and SETTINGS["ocr"] and OCR.has_text(image):
        source = sharper() if sharper is not None else image
        factor = image.width / source.width if source.width else 1.0
        lines = OCR.read(source)
    return Analysis(tuple(top_labels(logits[0])), features[0], tuple(lines)), factor


def describe(image: Image.Image) -> str:
    """The item text for a picture: labels, descriptions and OCR text (the contract
    other plugins rely on; keep this signature stable)."""
    return analyse(image)[0].text()



class _FeatureCache:
    """Features computed while extracting, kept (float16, bounded) for the embedding
    pass of the same run, so each picture goes through the network once."""

    def __init__(self, limit: int = 20_000) -> None:
        self.limit = limit
        self._data: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, key: str, vector: np.ndarray) -> None:
        with self._lock:
            self._data[key] = vector.astype(np.float16)
            while len(self._data) > self.limit:
                self._data.popitem(last=False)

    def pop(self, key: str) -> np.ndarray | None:
        with self._lock:
            vector = self._data.pop(key, None)
        return None if vector is None else vector.astype(np.float32)


FEATURES = _FeatureCache()


def _meta_text(picture: pic.Picture) -> str:
    parts = [f"{picture.format} image, {picture.width}x{picture.height}"]
    if picture.exif.get("taken"):
        parts.append(f"taken {picture.exif['taken'].replace('T', ' ')}")
    if picture.exif.get("camera"):
        parts.append(f"camera {picture.exif['camera']}")
    return ", ".join(parts) + "."


def picture_items(picture: pic.Picture, key: str, ctx: ExtractContext, *, kind: str = "image",
                  locator: Locator | None = None, ocr: bool = True,
                  sharper: Callable[[], Image.Image] | None = None) -> Iterator[Item]:
    """The items of one picture: a visual item (labels + text, thumbnail, features)
    and, when it holds text, the text in chunks located by their bounding boxes."""
    result, factor = analyse(picture.image, ocr=ocr, sharper=sharper)
    thumbnail = pic.write_thumbnail(picture.image, ctx.media_dir, key)
    if thumbnail is not None:
        FEATURES.put(thumbnail, result.features)
    # Boxes are reported in pixels of the original picture.
    scale = factor * (picture.width / picture.image.width if picture.image.width else 1.0)
    meta = {
        "width": picture.width, "height": picture.height, "format": picture.format,
        "labels": [[label.name.split(", ")[0], round(label.probability, 3)] for label in result.labels],
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


class ImageExtractor(Extractor):
    """Picture files: one visual item plus located OCR text."""

    name = "image"
    extensions = (".jpg", ".jpeg", ".jpe", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff",
                  *((".heic", ".heif") if pic.HEIF else ()))
    modality = "image"
    media_type = "image/*"
    version = "1"
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
        picture = pic.open_picture(data, work_side=pic.FAST_SIDE)
        yield from picture_items(picture, pic.content_key(data), ctx,
                                 sharper=lambda: pic.open_picture(data).image)


class ImageFeatureEncoder(Encoder):
    """EfficientNet-Lite0 pooled features: the offline image→image space."""

    name = "efficientnet-lite0-features"
    model_id = "efficientnet-lite0-features@mmrag-convert-1"
    dim = 1280
    metric = "cosine"
    modalities = frozenset({"image"})
    max_tokens = 0
    default = True

    def accepts(self, item: Item) -> bool:
        return item.modality == "image" and item.kind in VISUAL_KINDS and bool(item.meta.get("image"))

    def embed_items(self, items: Sequence[Item]) -> np.ndarray:
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        todo: list[int] = []
        batch: list[np.ndarray] = []
        for i, item in enumerate(items):
            cached = FEATURES.pop(str(item.meta["image"]))
            if cached is not None:
                out[i] = cached / max(float(np.linalg.norm(cached)), 1e-12)
                continue
            try:
                with Image.open(item.meta["image"]) as image:
                    batch.append(preprocess(image.convert("RGB")))
                todo.append(i)
            except OSError:
                pass  # rendition deleted: a zero vector never ranks high; re-index restores it
        if todo:
            VISION.threads = self.threads or VISION.threads
            _, features = VISION.run(np.stack(batch))
            out[todo] = features
        return out

    def embed_query(self, query: Query) -> np.ndarray | None:
        if query.modality != "image" or query.path is None:
            return None
        picture = query_picture(Path(query.path))
        _, features = VISION.run(preprocess(picture.image)[None])
        return features[0]


def query_picture(path: Path) -> pic.Picture:
    """The picture attached to a query; a file that is no picture is the user's mistake
    (a one-line error), not a plugin failure."""
    try:
        return pic.open_picture(path.read_bytes())
    except (ExtractionError, OSError) as exc:
        raise MMRagError(f"{path.name} cannot be read as a picture: {exc}") from None


class ImageQueryTransform(QueryTransform):
    """A picture attached to a query also searches by its labels and the text in it."""

    name = "image-to-text"
    priority = 10

    def transform(self, query: Query) -> Query:
        if query.modality != "image" or query.path is None:
            return query
        picture = query_picture(Path(query.path))
        result, _ = analyse(picture.image)
        # Only confident labels: on a screenshot or a document the classifier's guesses
        # ("nematode", "website") are noise that matches other documents' guesses.
        labels = "; ".join(label.name for label in result.labels[:3] if label.probability >= QUERY_LABEL_MIN)
        derived = " ".join([labels, *(line.text for line in result.lines)])
        typed = query.original if query.original is not None else (query.text or "")
        return replace(query, text=f"{typed} {derived}".strip(), original=typed)


@hookimpl
def register_extractors(register: Callable[[Extractor], None]) -> None:
    register(ImageExtractor())
    try:
        from .scans import ScannedPdfExtractor

        register(ScannedPdfExtractor())
    except ImportError:  # no PDF plugin: nothing to add OCR to
        pass


@hookimpl
def register_encoders(register: Callable[[Encoder], None]) -> None:
    register(ImageFeatureEncoder())


@hookimpl
def register_rerankers(register: Callable[[object], None]) -> None:
    from .dedupe import NearDuplicateFolder

    register(NearDuplicateFolder())


@hookimpl
def register_query_transforms(register: Callable[[QueryTransform], None]) -> None:
    register(ImageQueryTransform())
