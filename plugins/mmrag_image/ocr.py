"""Text in pictures: a cheap "is there text?" check, then RapidOCR (PP-OCRv4, zh + en).

Full OCR costs 0.3-2 s per image on two cores, so it only runs where text is likely:
the PP-OCR detection network is first run alone on a small copy of the picture (about
20 ms), and only pictures whose text-probability map has enough confident pixels go on
to the full detection + recognition pass.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from mmrag_desktop.models import verify

from . import runtime

MODEL = "rapidocr-ppocrv4"
log = logging.getLogger(__name__)

#: Side of the downscaled copy the gate looks at (a multiple of 32, as the model needs).
GATE_SIDE = 320
#: Share of the gate map's pixels that must be confident text.
GATE_MIN_SHARE = 0.002
#: Lines recognised with less confidence are dropped (mostly noise on photos).
MIN_SCORE = 0.6


@dataclass(frozen=True)
class TextLine:
    text: str
    bbox: tuple[float, float, float, float]  # x, y, width, height in pixels of the input picture
    score: float


class Ocr:
    def __init__(self, threads: int = 0) -> None:
        self.threads = threads
        self._engine: Any = None
        self._gate: Any = None
        self._lock = threading.Lock()
        #: Why OCR cannot run on this machine ("" while it can).
        self.unavailable = ""
        # RapidOCR keeps per-call state in its objects: one recognition at a time.
        self._call_lock = threading.Lock()

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._engine is None:
                from rapidocr_onnxruntime import RapidOCR

                # The three model files, checked against the catalog's sha256 before use.
                det_model, rec_model, cls_model = verify(MODEL)
                threads = self.threads or min(4, os.cpu_count() or 1)
                self._engine = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1,
                                        det_model_path=str(det_model), rec_model_path=str(rec_model),
                                        cls_model_path=str(cls_model))
                self._gate = runtime.session(det_model, threads)
            return self._engine, self._gate

    def has_text(self, image: Image.Image) -> bool:
        """Cheap check: does the detection network see text on a small copy? False when
        OCR cannot run here (e.g. OpenCV's system libraries are missing): pictures are
        then indexed without their text rather than not at all."""
        if self.unavailable:
            return False
        try:
            _engine, gate = self._load()
        except ImportError as exc:
            self.unavailable = f"OCR is unavailable: {exc}"
            log.warning("%s; pictures are indexed without the text in them", self.unavailable)
            return False
        rgb = image.convert("RGB")
        scale = GATE_SIDE / max(rgb.size)
        w, h = (max(32, round(rgb.width * scale / 32) * 32), max(32, round(rgb.height * scale / 32) * 32))
        small = np.asarray(rgb.resize((w, h), Image.BILINEAR), dtype=np.float32)[:, :, ::-1]  # BGR, as PP-OCR
        batch = ((small / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)[None].astype(np.float32)
        (prob,) = gate.run(None, {gate.get_inputs()[0].name: batch})
        return float((prob > 0.5).mean()) >= GATE_MIN_SHARE

    def read(self, image: Image.Image) -> list[TextLine]:
        """Every text line with its box, in RapidOCR's reading order."""
        engine, _gate = self._load()
        bgr = np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])
        with self._call_lock:
            result, _elapsed = engine(bgr)
        lines = []
        for box, text, score in result or []:
            text = respace(str(text).strip())
            if not text or float(score) < MIN_SCORE:
                continue
            xs, ys = [p[0] for p in box], [p[1] for p in box]
            bbox = (round(min(xs), 1), round(min(ys), 1), round(max(xs) - min(xs), 1), round(max(ys) - min(ys), 1))
            lines.append(TextLine(text, bbox, float(score)))
        return lines


#: Spaces PP-OCR's recogniser drops between a word and a number, after a colon or a full
#: stop ("INVOICE4471", "Total due:380EUR", "background.These"): without them full-text
#: search cannot find "4471" or "EUR" in a scanned page.
_GLUED = (
    (re.compile(r"(?<=[A-Za-z]{2})(?=\d)"), " "),
    (re.compile(r"(?<=\d)(?=[A-Z]{2})"), " "),
    (re.compile(r"(?<=[A-Za-z][:;])(?=\w)"), " "),
    (re.compile(r"(?<=[a-z][.,!?])(?=[A-Z])"), " "),
)


def respace(text: str) -> str:
    """OCR text with the spaces the recogniser most often drops put back."""
    for pattern, space in _GLUED:
        text = pattern.sub(space, text)
    return _WORD_RUN.sub(lambda match: _split_glued(match.group()), text)


#: A capitalised or lower-case run of Latin letters: where PP-OCR glues English words
#: ("Totaldue", "ofgreyvalues"). ALL-CAPS runs are left alone (codes, acronyms).
_WORD_RUN = re.compile(r"(?<![A-Za-z])[A-Za-z][a-z]{5,}(?![A-Za-z])")
#: Short words a split may produce; any other piece under three letters means the split
#: is a guess at an unknown word ("kubernetes" → "ku berne tes"), which is kept whole.
_SHORT_WORDS = frozenset(
    ["a", "i", "an", "as", "at", "be", "by", "do", "go", "he", "if", "in", "is", "it", "me", "my", "no", "of", "on", "or", "so", "to", "up", "us", "we"])


def _split_glued(run: str) -> str:
    """``run`` split into English words when it is not a word itself but reads as
    several (word frequencies from English Wikipedia, via ``wordninja``)."""
    import wordninja  # 126k words; loaded once, on the first picture with text

    lower = run.lower()
    model = wordninja.DEFAULT_LANGUAGE_MODEL
    if lower in model._wordcost:
        return run
    pieces = model.split(lower)
    short = [p for p in pieces if len(p) < 3]
    # Mostly short pieces read like a guess at a name ("Contoso" → "con to so"); so does
    # any short piece in a capitalised run, which is more often a name than glue.
    if (len(pieces) < 2 or any(p not in _SHORT_WORDS for p in short) or 2 * len(short) > len(pieces)
            or (run[0].isupper() and short)):
        return run
    pieces[0] = run[0] + pieces[0][1:]  # keep the first letter's case
    return " ".join(pieces)


def union(boxes: list[tuple[float, float, float, float]]) -> tuple[float, float, float, float]:
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return (x0, y0, round(x1 - x0, 1), round(y1 - y0, 1))
