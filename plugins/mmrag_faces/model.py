"""dlib's face models: find faces, align them, embed each into 128 numbers.

* detection: dlib's HOG + linear SVM frontal face detector (built into dlib, no file);
* alignment: the 5-point landmark model (``shape_predictor_5_face_landmarks.dat``, CC0)
  gives eyes and nose, from which dlib cuts a 150 x 150 "chip" with the face upright;
* embedding: the ResNet in ``dlib_face_recognition_resnet_model_v1.dat`` (CC0) turns a
  chip into a 128-d descriptor. Two photos of one person are closer than
  :data:`SAME_PERSON` (Euclidean), dlib's own threshold (99.38% on LFW).

Both model files ship in the ``face_recognition_models`` 0.3.0 sdist (catalogued as
``dlib-face-recognition-v1`` with their sha256). Its 68-point landmark model is not used:
it was trained on iBUG 300-W, whose licence excludes commercial use.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from mmrag_desktop.models import verify

MODEL = "dlib-face-recognition-v1"
#: Pictures are searched for faces at most this large (longest side). HOG finds faces
#: from ~80 px, so faces smaller than ~8% of the picture's longest side are missed;
#: 61 ms at 1024 px against 24 ms at 640 px on one core here (benchmarks/results/faces.md).
DETECT_SIDE = 1024
#: Smaller pictures are searched at twice their size (dlib's upsampling), so a face in
#: a 256-px thumbnail or keyframe is still found.
UPSAMPLE_BELOW = 640
#: Least HOG detector score (dlib's default is 0). On the benchmark photos the 33 real
#: faces (originals and edited copies) scored 0.69-2.4; the one false find, a patch on
#: the astronaut's suit, 0.12.
MIN_SCORE = 0.25
MAX_FACES = 20
CHIP_SIDE = 150
#: Euclidean distance under which two descriptors are the same person (dlib's value).
SAME_PERSON = 0.6


@dataclass(frozen=True)
class Face:
    #: (x, y, width, height) in pixels of the picture given to :meth:`FaceModels.find`.
    bbox: tuple[float, float, float, float]
    score: float
    #: The aligned face, (150, 150, 3) uint8 RGB: what the descriptor is computed from.
    chip: np.ndarray


def available() -> bool:
    """Whether dlib imports here (its wheel exists for Linux x86-64 and Windows x64 only)."""
    try:
        import dlib  # noqa: F401
    except ImportError:
        return False
    return True


class FaceModels:
    """The three dlib models, loaded on first use. dlib's objects are not documented as
    thread-safe, so calls are serialised (the indexer may extract two pictures at once)."""

    def __init__(self) -> None:
        self._models: tuple[Any, Any, Any] | None = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[Any, Any, Any]:
        if self._models is None:
            import dlib

            # sha256-checked once, then remembered (a missing or damaged file is an error
            # naming the package to reinstall).
            resnet, landmarks = verify(MODEL)
            self._models = (dlib.get_frontal_face_detector(), dlib.shape_predictor(str(landmarks)),
                            dlib.face_recognition_model_v1(str(resnet)))
        return self._models

    def find(self, image: Image.Image) -> list[Face]:
        """The faces in ``image``, largest first, each with its aligned chip."""
        import dlib

        rgb = image if image.mode == "RGB" else image.convert("RGB")
        factor = 1.0
        if max(rgb.size) > DETECT_SIDE:
            factor = max(rgb.size) / DETECT_SIDE
            rgb = rgb.resize((max(1, round(rgb.width / factor)), max(1, round(rgb.height / factor))),
                             Image.BILINEAR, reducing_gap=2.0)
        pixels = np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))
        upsample = 1 if max(rgb.size) < UPSAMPLE_BELOW else 0
        with self._lock:
            detector, shapes, _ = self._load()
            rects, scores, _kinds = detector.run(pixels, upsample, MIN_SCORE)
            found = sorted(zip(rects, scores, strict=True), key=lambda rs: -rs[0].area())[:MAX_FACES]
            faces = []
            for rect, score in found:
                # Boxes may reach past the border (a face cut by the frame): clip them.
                left, top = max(0, rect.left()), max(0, rect.top())
                right, bottom = min(rgb.width, rect.right() + 1), min(rgb.height, rect.bottom() + 1)
                if right <= left or bottom <= top:
                    continue
                chip = dlib.get_face_chip(pixels, shapes(pixels, rect), size=CHIP_SIDE, padding=0.25)
                box = tuple(round(v * factor, 1) for v in (left, top, right - left, bottom - top))
                faces.append(Face(box, round(float(score), 3), np.asarray(chip, dtype=np.uint8)))  # type: ignore[arg-type]
        return faces

    def describe(self, chips: Sequence[np.ndarray]) -> np.ndarray:
        """(len(chips), 128) float32 descriptors of aligned 150 x 150 chips."""
        if not chips:
            return np.zeros((0, 128), dtype=np.float32)
        batch = [np.ascontiguousarray(c, dtype=np.uint8) for c in chips]
        with self._lock:
            _, _, recognizer = self._load()
            vectors = recognizer.compute_face_descriptor(batch)
        return np.asarray([np.asarray(v) for v in vectors], dtype=np.float32).reshape(len(chips), 128)


FACES = FaceModels()
