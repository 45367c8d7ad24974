"""What the plugin knows about one picture: labels, features and text in it.

The shared models live here (one classifier session, one OCR engine per process), with
:func:`describe`, the function other plugins call for their own pictures (video
keyframes, rendered 3D views), and the features cache that lets the embedding pass
reuse what extraction computed.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from .detect import Detection, Detector, summary
from .ocr import Ocr, TextLine
from .vision import Label, Vision, class_description, preprocess, top_labels

#: Item kinds whose ``meta["image"]`` the image encoder embeds.
VISUAL_KINDS = frozenset({"image", "keyframe", "view", "scanned-page", "frame"})

#: Plugin settings. ``ocr``: read text in pictures (environment MMRAG_IMAGE_OCR=0 turns
#: it off, e.g. to index a large photo collection faster). ``detect``: find COCO objects
#: (people, animals, vehicles ...; MMRAG_IMAGE_DETECT=0 turns it off, saving most of the
#: time per picture).
SETTINGS = {"ocr": os.environ.get("MMRAG_IMAGE_OCR", "1") != "0",
            "detect": os.environ.get("MMRAG_IMAGE_DETECT", "1") != "0"}

VISION = Vision()
DETECTOR = Detector()
OCR = Ocr()

#: The classifier's top label counts only from this probability (``top_labels`` keeps
#: one label below it so every picture has words).
SURE_LABEL = 0.05


@dataclass(frozen=True)
class Analysis:
    labels: tuple[Label, ...]
    features: np.ndarray  # (1280,) L2-normalised
    lines: tuple[TextLine, ...]
    #: COCO objects, best first; boxes in pixels of the analysed picture.
    objects: tuple[Detection, ...] = ()

    def caption(self) -> str:
        """Objects found, labels, then the written description of the most probable
        class. A picture of text whose best label is a guess (below :data:`SURE_LABEL`)
        is called text: the scanned invoice and the Wi-Fi sign were "nematode" at 1-3%,
        so "worm" found them."""
        found = f"{summary(self.objects, synonyms=True)}; " if self.objects else ""
        if self.lines and self.labels[0].probability < SURE_LABEL:
            return f"Picture of: {found}text."
        names = "; ".join(label.name for label in self.labels)
        best = self.labels[0]
        description = class_description(best.index) if best.probability >= 0.2 else ""
        # Objects lead: "person" is what ImageNet labels cannot say, and the text
        # encoder reads the start of a text most closely.
        return f"Picture of: {found}{names}." + (f" {description}" if description else "")

    def text(self) -> str:
        words = "\n".join(line.text for line in self.lines)
        return self.caption() + (f"\nText in the picture:\n{words}" if words else "")


def analyse(image: Image.Image, *, ocr: bool = True, detect: bool = True,
            sharper: Callable[[], Image.Image] | None = None) -> tuple[Analysis, float]:
    """Labels, features, objects and (when the picture has text) OCR lines for one picture.

    ``sharper`` gives a higher-resolution copy for OCR when the cheap check found text
    (pictures are decoded small first, which is all labels and thumbnails need). Returns
    the analysis and the factor from OCR box pixels to ``image`` pixels.
    """
    logits, features = VISION.run(preprocess(image)[None])
    objects = DETECTOR.detect(image) if detect and SETTINGS["detect"] else []
    lines: list[TextLine] = []
    factor = 1.0
    if ocr and SETTINGS["ocr"] and OCR.has_text(image):
        source = sharper() if sharper is not None else image
        factor = image.width / source.width if source.width else 1.0
        lines = OCR.read(source)
    return Analysis(tuple(top_labels(logits[0])), features[0], tuple(lines), tuple(objects)), factor


def describe(image: Image.Image) -> str:
    """The item text for a picture: objects, labels, descriptions and OCR text (the contract
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
