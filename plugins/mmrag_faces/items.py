"""One item per face in a picture: where it is (a bbox locator) and its aligned chip.

The picture plugin calls :func:`face_items` for every picture it indexes (one small,
guarded call in ``mmrag_image.extract``), the video plugin for every keyframe. A face item has no text (nothing for full-text search or text encoders to
match); it is found only through the face space, by a query picture of the person.
The 128-d descriptor is computed in the embedding pass from the chip saved under the
library's media folder (:class:`~mmrag_faces.search.FaceEncoder`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

from mmrag_desktop.records import Item, Locator

from .model import FACES, available

log = logging.getLogger(__name__)

#: ``faces``: look for faces in pictures (MMRAG_IMAGE_FACES=0 turns it off, saving the
#: detector's time on every picture with a person in it). ``gate``: only in pictures
#: where the object detector found a person (MMRAG_IMAGE_FACES=all looks in every
#: picture: ~45 ms more CPU per picture without people, and finds the rare face the
#: object detector missed, such as one of the benchmark's cropped astronaut photos).
_MODE = os.environ.get("MMRAG_IMAGE_FACES", "1").strip().lower()
SETTINGS = {"faces": _MODE != "0", "gate": _MODE != "all"}

KIND = "face"


def face_items(image: Image.Image, *, key: str, media_dir: Path | None, locator: Locator | None = None,
               scale: float = 1.0, thumbnail: str | None = None, people: bool | None = None) -> list[Item]:
    """The faces in ``image`` as items (largest first); none when turned off.

    ``key`` names the chip files (``<key>-face<n>.jpg`` under ``media_dir``); ``scale``
    turns boxes into pixels of the original file (the picture may have been decoded
    smaller); ``thumbnail`` is the picture's rendition, shown for a face hit;
    ``people`` is False when an object detector looked and found no person, which skips
    the face detector (None: nobody looked). A failure of the face models costs the
    picture its faces, never the picture: it is logged and nothing is returned.
    """
    if not SETTINGS["faces"] or (people is False and SETTINGS["gate"]) or not available():
        return []
    try:
        faces = FACES.find(image)
    except Exception as exc:  # a model error must not lose the picture's other items
        log.warning("face detection failed on %s: %s: %s", key, type(exc).__name__, exc)
        return []
    base = locator or Locator()
    items = []
    for n, face in enumerate(faces, start=1):
        meta: dict[str, object] = {"face": n, "faces": len(faces), "score": face.score}
        chip = write_chip(face.chip, media_dir, f"{key}-face{n}")
        if chip is not None:
            meta["chip"] = chip
        if thumbnail:
            meta["image"] = thumbnail
        box = tuple(round(v * scale, 1) for v in face.bbox)
        items.append(Item(text="", modality="image", kind=KIND, locator=replace(base, bbox=box), meta=meta))
    return items


def write_chip(chip: np.ndarray, media_dir: Path | None, name: str) -> str | None:
    """Save an aligned face as JPEG under ``media_dir/faces/``. At q95 its descriptor
    moves by 0.02-0.03; photos of one person are 0.33-0.44 apart, of two people 0.8-0.9
    (benchmarks/results/faces.md), so the loss does not matter."""
    if media_dir is None:
        return None
    target = Path(media_dir) / "faces" / name[:2] / f"{name}.jpg"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        Image.fromarray(chip).save(partial, "JPEG", quality=95)
        partial.replace(target)
    return str(target)


def read_chips(paths: Sequence[str]) -> tuple[list[np.ndarray], list[int]]:
    """The chips that can still be read, and their positions in ``paths`` (a deleted
    media folder loses them until the picture is indexed again)."""
    chips, ok = [], []
    for i, path in enumerate(paths):
        try:
            with Image.open(path) as image:
                rgb = image.convert("RGB")
        except OSError:
            continue
        if rgb.size != (150, 150):
            rgb = rgb.resize((150, 150), Image.BILINEAR)
        chips.append(np.asarray(rgb, dtype=np.uint8))
        ok.append(i)
    return chips, ok
