"""Built-in plugin: pictures (JPEG, PNG, WebP, GIF, BMP, TIFF, HEIC with pillow-heif).

No image-text model ships where this app installs from, so a picture becomes searchable
by *conversion to text* plus *visual features*:

* its item text is :func:`describe` — COCO objects found (CenterNet, see :mod:`.detect`:
  "person" and other things ImageNet has no label for), ImageNet labels with their written descriptions
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

from collections.abc import Callable

from mmrag_desktop import hookimpl
from mmrag_desktop.interfaces import Encoder, Extractor, QueryTransform

from . import picture as pic
from .analysis import DETECTOR, FEATURES, OCR, SETTINGS, VISION, VISUAL_KINDS, Analysis, analyse, describe
from .encoder import ImageFeatureEncoder
from .extract import ImageExtractor, picture_items
from .query import QUERY_LABEL_MIN, ImageQueryTransform, query_picture

MMRAG_HOOK_API = "1"

__all__ = [
    "DETECTOR", "FEATURES", "OCR", "QUERY_LABEL_MIN", "SETTINGS", "VISION", "VISUAL_KINDS", "Analysis", "ImageExtractor",
    "ImageFeatureEncoder", "ImageQueryTransform", "analyse", "describe", "open_picture", "picture_items",
    "query_picture",
]

open_picture = pic.open_picture


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
