"""Cheaper ways to run the COCO-80 detector, each checked against the detector as
shipped (512 x 512, float): how many of its detections and labels survive, and what a
picture costs. Writes benchmarks/results/detector-variants.md.

    python benchmarks/detector_variants.py

Pictures: NOT the dev set of benchmarks/images.py (so nothing is tuned to it) but the
sample pictures of Debian's `opencv-doc` (fetched with apt-get download, cached under
benchmarks/cache/detector/): photos of people (a basketball game, a footballer), street
frames from `vtest.avi` (pedestrians, cars), fruit, a room, a bicycle, stereo pairs,
drawings, text. Calibration chessboards and pictures under 20 kB are left out.

Variants: the input square at 448, 416, 384 and 320; the picture's own aspect ratio
(longest side 512, rounded to multiples of 32); int8 (onnxruntime static quantisation,
QDQ, per-channel, MinMax calibration on every other picture, scored on the rest).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / "cache" / "detector"
RESULTS = HERE / "results"
# Not this folder: its packaging.py would stand in for the `packaging` library that
# onnxruntime's quantisation tools import.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "plugins"))

from mmrag_desktop.models import verify  # noqa: E402
from mmrag_image import detect, runtime  # noqa: E402

DATA = "usr/share/doc/opencv-doc/examples/data"


def pictures() -> list[Path]:
    folder = CACHE / "pictures"
    if folder.exists():
        return sorted(folder.iterdir())
    deb_dir = CACHE / "deb"
    deb_dir.mkdir(parents=True, exist_ok=True)
    if not list(deb_dir.glob("opencv-doc_*.deb")):
        subprocess.run(["apt-get", "download", "opencv-doc"], cwd=deb_dir, check=True, capture_output=True)
    unpacked = deb_dir / "x"
    if not unpacked.exists():
        subprocess.run(["dpkg", "-x", str(next(deb_dir.glob("opencv-doc_*.deb"))), str(unpacked)], check=True)
    source = unpacked / DATA
    folder.mkdir(parents=True)
    for path in sorted(source.iterdir()):
        if (path.suffix in (".jpg", ".png") and not path.stem.startswith(("left", "right"))
                and path.stat().st_size > 20_000):
            with Image.open(path) as image:
                if min(image.size) >= 128:
                    image.convert("RGB").save(folder / f"{path.stem}.png")
    import av

    for clip in ("vtest.avi", "tree.avi", "Megamind.avi"):  # a frame every 6 s, the first 25 s
        with av.open(str(source / clip)) as container:
            for n, frame in enumerate(container.decode(video=0)):
                if n % 150 == 0:
                    frame.to_image().convert("RGB").save(folder / f"{Path(clip).stem}-{n}.png")
                if n > 600:
                    break
    return sorted(folder.iterdir())


def heads_session(graph: bytes | Path, threads: int) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
    session = runtime.session(graph, threads)
    name = session.get_inputs()[0].name

    def run(batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        wh, peaks = session.run(list(detect.HEADS), {name: batch})
        return wh, peaks

    return run


def detections(run: Callable, image: Image.Image, size: tuple[int, int]) -> list[detect.Detection]:
    batch = np.asarray(image.resize(size, Image.BILINEAR, reducing_gap=2.0), dtype=np.float32)[None]
    wh, peaks = run(batch)
    rows = detect.decode(wh[0], peaks[0])
    rows[:, [0, 2]] *= detect.INPUT / size[0]  # into the 512-square coordinates postprocess expects
    rows[:, [1, 3]] *= detect.INPUT / size[1]
    return detect.postprocess(rows, image.width, image.height)


def square(side: int) -> Callable[[Image.Image], tuple[int, int]]:
    return lambda image: (side, side)


def aspect(side: int) -> Callable[[Image.Image], tuple[int, int]]:
    def size(image: Image.Image) -> tuple[int, int]:
        scale = side / max(image.size)
        return (max(32, round(image.width * scale / 32) * 32), max(32, round(image.height * scale / 32) * 32))

    return size


def quantised(graph: bytes, images: list[Image.Image], folder: Path) -> Path:
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    name = "tower_0/images:0"
    batches = iter([{name: np.asarray(i.resize((512, 512), Image.BILINEAR), dtype=np.float32)[None]} for i in images])

    class Reader(CalibrationDataReader):
        def get_next(self) -> dict | None:
            return next(batches, None)

    fixed, prepared, target = folder / "fixed.onnx", folder / "prepared.onnx", folder / "int8.onnx"
    import onnx

    model = onnx.load_from_string(graph)
    for dim in model.graph.input[0].type.tensor_type.shape.dim[1:3]:
        dim.dim_value = 512
    onnx.save(model, str(fixed))
    quant_pre_process(str(fixed), str(prepared), skip_symbolic_shape=True)
    quantize_static(str(prepared), str(target), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                    calibrate_method=CalibrationMethod.MinMax)
    return target


def iou(a: tuple, b: tuple) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / max(a[2] * a[3] + b[2] * b[3] - inter, 1e-9)


def agreement(reference: list[list], found: list[list], names: list[str]) -> dict:
    """Reference detections found again (same class, IoU > 0.5), and labels per picture."""
    kept = total = strong = strong_kept = extra = 0
    lost_labels, new_labels = [], []
    for ref, new, name in zip(reference, found, names, strict=True):
        used: set[int] = set()
        for a in ref:
            total += 1
            strong += a.score >= 0.5
            match = next((j for j, b in enumerate(new) if j not in used and b.label == a.label and iou(a.bbox, b.bbox) > 0.5), None)
            if match is not None:
                used.add(match)
                kept += 1
                strong_kept += a.score >= 0.5
        extra += len(new) - len(used)
        ref_labels, new_labels_here = {a.label for a in ref}, {b.label for b in new}
        lost_labels += [f"{name} {label} ({max(a.score for a in ref if a.label == label):.2f})"
                        for label in sorted(ref_labels - new_labels_here)]
        new_labels += [f"{name} {label} ({max(b.score for b in new if b.label == label):.2f})"
                       for label in sorted(new_labels_here - ref_labels)]
    return {"kept": kept, "total": total, "strong_kept": strong_kept, "strong": strong, "extra": extra,
            "lost_labels": lost_labels, "new_labels": new_labels}


def main() -> None:
    files = pictures()
    images = []
    for path in files:
        with Image.open(path) as image:
            images.append(image.convert("RGB"))
    names = [p.stem for p in files]
    (path,) = verify(detect.MODEL)
    graph = detect.heads_graph(path)
    results: dict = {"pictures": len(files), "load_average": [round(x, 2) for x in os.getloadavg()], "variants": {}}
    with tempfile.TemporaryDirectory() as tmp:
        int8 = quantised(graph, images[0::2], Path(tmp))
        variants = {
            "shipped: 512 x 512, float": (heads_session(graph, 2), square(512), None),
            "448 x 448": (heads_session(graph, 2), square(448), None),
            "416 x 416": (heads_session(graph, 2), square(416), None),
            "384 x 384": (heads_session(graph, 2), square(384), None),
            "320 x 320": (heads_session(graph, 2), square(320), None),
            "own aspect ratio, longest side 512": (heads_session(graph, 2), aspect(512), None),
            "int8 (static, QDQ), 512 x 512; scored on the uncalibrated half": (heads_session(int8, 2), square(512), 1),
        }
        reference: list[list] = []
        for label, (run, size, half) in variants.items():
            found, cpu = [], []
            run(np.zeros((1, 512, 512, 3), np.float32))  # first run plans memory: not timed
            for image in images:
                started = time.process_time()
                found.append(detections(run, image, size(image)))
                cpu.append(time.process_time() - started)
            if not reference:
                reference = found
            pick = slice(half, None, 2) if half is not None else slice(None)
            row = agreement(reference[pick], found[pick], names[pick])
            row["cpu_ms"] = round(1000 * float(np.mean(cpu)), 1)
            results["variants"][label] = row
            print(label, json.dumps(row)[:300])
    results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    write(results)


def write(results: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "detector-variants.json").write_text(json.dumps(results, indent=2), "utf-8")
    lines = ["# Object detector: cheaper variants against the shipped one", "",
             f"{results['pictures']} pictures from Debian `opencv-doc` (not the dev set); load average "
             f"{results['load_average']} at start, {results['load_average_after']} at the end (2 cores, shared). "
             "CPU-ms: network + decoding per picture, two onnxruntime threads that sleep when idle.", "",
             "Kept: detections of the shipped detector (score >= 0.4 after NMS) found again with the same class "
             "and IoU > 0.5; strong: those scoring >= 0.5.", "",
             "| variant | CPU-ms per picture | detections kept | strong kept | new detections | labels lost | labels new |",
             "|---|---|---|---|---|---|---|"]
    for label, row in results["variants"].items():
        lines.append(f"| {label} | {row['cpu_ms']} | {row['kept']}/{row['total']} | {row['strong_kept']}/{row['strong']} "
                     f"| {row['extra']} | {len(row['lost_labels'])} | {len(row['new_labels'])} |")
    lines += ["", "Labels a picture lost or gained (best score of that class):", ""]
    for label, row in results["variants"].items():
        if row["lost_labels"] or row["new_labels"]:
            lines.append(f"* {label}: lost {', '.join(row['lost_labels']) or '-'}; new {', '.join(row['new_labels']) or '-'}")
    (RESULTS / "detector-variants.md").write_text("\n".join(lines) + "\n", "utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
