"""Pictures and scans: indexing speed (images/s) and retrieval quality (nDCG@10 per
query kind), on real material fetched here.

    python benchmarks/images.py            # both; writes benchmarks/results/images.{json,md}
    python benchmarks/images.py --speed    # speed only
    MMRAG_IMAGE_DETECT=0 python benchmarks/images.py   # without object detection:
                                           # writes benchmarks/results/images-no-detect.*

Material (cached under benchmarks/cache/images/, never committed):
  * scikit-image's sample photos (pip `scikit-image`, in the `bench` extra): the
    quality corpus, with queries written by hand below;
  * Debian `ukui-wallpapers` and `gnome-backgrounds` (apt-get download): large PNG and
    4096x4096 WebP illustrations, distractors for quality and the bulk of the speed set;
  * "camera" JPEGs: the photos scaled to 4000x3000 and saved at quality 90, so decoding
    costs what a 12-megapixel camera file costs;
  * scanned documents: paragraphs written here, rendered to image-only PDFs at 150 dpi.

Speed runs the image extractor alone (labels + features + thumbnail, OCR off; then with
the OCR check on) and a whole `Library.index` (extract + text and image embeddings).
Quality indexes everything once and runs each query in three modes (bm25, dense,
hybrid). Only the public Library API is used for quality.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / "cache" / "images"
RESULTS = HERE / "results"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "plugins"))

from PIL import Image, ImageDraw, ImageEnhance, ImageFont  # noqa: E402

PHOTOS = ["astronaut.png", "brick.png", "camera.png", "chelsea.png", "coffee.png", "coins.png", "grass.png",
          "gravel.png", "horse.png", "hubble_deep_field.jpg", "moon.png", "motorcycle_left.png",
          "motorcycle_right.png", "page.png", "retina.jpg", "rocket.jpg", "text.png", "cell.png", "ihc.png",
          "logo.png", "clock_motion.png", "color.png", "phantom.png"]

# Text -> image queries, written as a person would type them; relevant files (grade 2).
TEXT_TO_IMAGE: list[tuple[str, list[str]]] = [
    ("cat", ["chelsea.png"]),
    ("a kitten lying down", ["chelsea.png"]),
    ("cup of coffee", ["coffee.png"]),
    ("espresso", ["coffee.png"]),
    ("rocket on the launch pad", ["rocket.jpg"]),
    ("motorbike", ["motorcycle_left.png", "motorcycle_right.png"]),
    ("astronaut", ["astronaut.png"]),
    ("galaxies in deep space", ["hubble_deep_field.jpg"]),
    ("the moon", ["moon.png"]),
    ("coins", ["coins.png"]),
    ("man with a camera on a tripod", ["camera.png"]),
    ("goldfish", ["goldfish.png"]),
    ("brick wall", ["brick.png"]),
    ("flower", ["calla.png"]),
    ("horse", ["horse.png"]),
    ("eye retina", ["retina.jpg"]),
    ("region-based segmentation", ["page.png"]),
    ("猫", ["chelsea.png"]),
    ("一杯咖啡", ["coffee.png"]),
    ("火箭", ["rocket.jpg"]),
    ("宇航员", ["astronaut.png"]),
]
# Text -> image by what the object detector finds (people, animals, things ImageNet has
# no label for): astronaut.png and camera.png show a person, chelsea.png a cat,
# coffee.png a cup, horse.png a horse (a silhouette).
TEXT_TO_OBJECTS: list[tuple[str, list[str]]] = [
    ("person", ["astronaut.png", "camera.png"]),
    ("a photo of a man", ["camera.png"]),
    ("a photo of a woman", ["astronaut.png"]),
    ("people", ["astronaut.png", "camera.png"]),
    ("portrait of a woman smiling", ["astronaut.png"]),
    ("a cup on a table", ["coffee.png"]),
    ("a cat", ["chelsea.png"]),
    ("horse", ["horse.png"]),
]
# Image -> image: an edited copy (crop, smaller, brighter, recompressed) of each photo.
IMAGE_TO_IMAGE = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png", "coins.png",
                  "hubble_deep_field.jpg", "camera.png", "moon.png", "retina.jpg", "goldfish.png", "calla.png"]

SCANS = {
    "lease.pdf": ["Residential lease agreement", "The tenant pays the monthly rent of 950 euros",
                  "on the first day of each month. The deposit is", "two months of rent and is returned at the end."],
    "recipe.pdf": ["Grandmother's apple pie", "Peel six apples, slice them thin and mix with",
                   "sugar and cinnamon. Bake for 45 minutes at 180 C."],
    "warranty.pdf": ["Warranty certificate", "This washing machine is covered for two years",
                     "against defects in materials and workmanship."],
    "minutes.pdf": ["Minutes of the project meeting", "The team agreed to move the launch date",
                    "from March to May because testing is behind."],
    "vaccination.pdf": ["Pet vaccination record", "Dog: Bruno. Rabies vaccine given on 12 April,",
                        "next booster due in one year."],
    "tax.pdf": ["Income tax return summary", "Total income 48,200. Tax withheld 9,650.",
                "Refund expected within eight weeks."],
}
TEXT_TO_SCAN: list[tuple[str, list[str]]] = [
    ("rent deposit", ["lease.pdf"]),
    ("how much is the rent", ["lease.pdf"]),
    ("apple pie recipe", ["recipe.pdf"]),
    ("washing machine warranty", ["warranty.pdf"]),
    ("when was the launch date moved", ["minutes.pdf"]),
    ("dog rabies vaccine", ["vaccination.pdf"]),
    ("tax refund", ["tax.pdf"]),
    ("baking instructions", ["recipe.pdf"]),
]


def skimage_dir() -> Path:
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("scikit-image is needed for its sample photos: pip install -e '.[bench]'")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def debian(package: str) -> Path:
    target = CACHE / "deb" / package
    if not target.exists():
        (CACHE / "deb").mkdir(parents=True, exist_ok=True)
        subprocess.run(["apt-get", "download", package], cwd=CACHE / "deb", check=True, capture_output=True)
        deb = next((CACHE / "deb").glob(f"{package}_*.deb"))
        subprocess.run(["dpkg", "-x", str(deb), str(target)], check=True)
    return target


def build_quality_corpus() -> Path:
    corpus = CACHE / "quality"
    if corpus.exists():
        return corpus
    corpus.mkdir(parents=True)
    data = skimage_dir()
    for name in PHOTOS:
        (corpus / name).write_bytes((data / name).read_bytes())
    for path in (debian("ukui-wallpapers") / "usr/share/backgrounds").glob("*.*"):
        if path.suffix in (".png", ".jpg"):
            (corpus / path.name).write_bytes(path.read_bytes())
    for name, lines in SCANS.items():
        page = Image.new("RGB", (1240, 1754), "white")
        draw = ImageDraw.Draw(page)
        font = ImageFont.load_default(size=34)
        for n, line in enumerate(lines):
            draw.text((110, 160 + 56 * n), line, fill=(30, 30, 30), font=font)
        page = page.rotate(0.6, fillcolor="white")  # scans are never quite straight
        page.save(corpus / name, "PDF", resolution=150)
    return corpus


def edited_copy(source: Path, target: Path) -> None:
    with Image.open(source) as image:
        rgb = image.convert("RGB")
    w, h = rgb.size
    crop = rgb.crop((int(w * 0.08), int(h * 0.05), int(w * 0.95), int(h * 0.9)))
    crop = ImageEnhance.Brightness(crop.resize((max(32, crop.width * 2 // 3), max(32, crop.height * 2 // 3)))).enhance(1.15)
    crop.save(target, "JPEG", quality=55)


def build_speed_set() -> Path:
    folder = CACHE / "speed"
    if folder.exists():
        return folder
    folder.mkdir(parents=True)
    data = skimage_dir()
    for name in ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png", "retina.jpg",
                 "hubble_deep_field.jpg", "camera.png", "coins.png", "moon.png"]:
        with Image.open(data / name) as image:
            image.convert("RGB").resize((4000, 3000), Image.BICUBIC).save(folder / f"camera-{Path(name).stem}.jpg",
                                                                          quality=90)
    for path in (debian("ukui-wallpapers") / "usr/share/backgrounds").glob("*.*"):
        if path.suffix in (".png", ".jpg"):
            (folder / path.name).write_bytes(path.read_bytes())
    for path in sorted((debian("gnome-backgrounds") / "usr/share/backgrounds/gnome").glob("*.webp")):
        (folder / path.name).write_bytes(path.read_bytes())
    for name in PHOTOS:
        (folder / f"small-{name}").write_bytes((data / name).read_bytes())
    return folder


def ndcg(ranked: list[str], relevant: list[str], k: int = 10) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, name in enumerate(ranked[:k]) if name in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal if ideal else 0.0


def run_quality() -> dict:
    from mmrag_desktop.library import Library

    corpus = build_quality_corpus()
    queries_dir = CACHE / "image-queries"
    queries_dir.mkdir(parents=True, exist_ok=True)
    for name in IMAGE_TO_IMAGE:
        edited_copy(corpus / name, queries_dir / f"{Path(name).stem}-edited.jpg")
    modes = {"bm25": ["bm25"], "dense": ["dense"], "hybrid": None}
    out: dict = {"files": len(list(corpus.iterdir())), "kinds": {}}
    with tempfile.TemporaryDirectory() as tmp:
        library = Library(Path(tmp) / "lib")
        started = time.perf_counter()
        report = library.index([corpus])
        out["index_seconds"] = round(time.perf_counter() - started, 1)
        out["index_report"] = report.summary()
        kinds = {
            "text->image": [(q, rel, None) for q, rel in TEXT_TO_IMAGE],
            "text->image (people, objects)": [(q, rel, None) for q, rel in TEXT_TO_OBJECTS],
            "image->image": [(None, [name], queries_dir / f"{Path(name).stem}-edited.jpg") for name in IMAGE_TO_IMAGE],
            "text->scanned page": [(q, rel, None) for q, rel in TEXT_TO_SCAN],
        }
        for kind, queries in kinds.items():
            out["kinds"][kind] = {"queries": len(queries)}
            for mode, retrievers in modes.items():
                scores, misses = [], []
                for text, relevant, attachment in queries:
                    query = library.file_query(attachment) if attachment else text
                    ranked = [h.path.name for h in library.search(query, k=10, retrievers=retrievers)]
                    scores.append(ndcg(ranked, relevant))
                    if scores[-1] < 1.0:
                        misses.append({"query": text or attachment.name, "want": relevant, "got": ranked[:3]})
                out["kinds"][kind][mode] = round(sum(scores) / len(scores), 3)
                if mode == "hybrid":
                    out["kinds"][kind]["hybrid_misses"] = misses
        library.close()
    return out


def run_speed() -> dict:
    import mmrag_image
    from mmrag_desktop.interfaces import ExtractContext
    from mmrag_desktop.library import Library

    folder = build_speed_set()
    files = sorted(folder.iterdir())
    extractor = mmrag_image.ImageExtractor()
    out: dict = {"images": len(files), "megapixels": 0.0}
    for path in files:
        with Image.open(path) as image:
            out["megapixels"] += image.width * image.height / 1e6
    out["megapixels"] = round(out["megapixels"], 1)
    with tempfile.TemporaryDirectory() as tmp:
        ctx = ExtractContext(media_dir=Path(tmp) / "media")
        list(extractor.extract(files[0], ctx))  # model load and conversion are not timed
        mmrag_image.OCR.has_text(Image.new("RGB", (64, 64)))
        if mmrag_image.SETTINGS["detect"]:
            out["detector ms per picture (512x512 input, small photos)"] = _detector_ms(
                [p for p in files if p.name.startswith("small-")])
        groups = {
            "12-MP camera JPEGs": [p for p in files if p.name.startswith("camera-")],
            "16-MP WebP (gnome-backgrounds)": [p for p in files if p.suffix == ".webp"],
            "2-MP PNG/JPEG (ukui-wallpapers)": [p for p in files if not p.name.startswith(("camera-", "small-"))
                                                and p.suffix != ".webp"],
            "small photos (scikit-image, <= 2 MP)": [p for p in files if p.name.startswith("small-")],
        }
        for label, ocr in (("OCR off", False), ("OCR check on", True)):
            mmrag_image.SETTINGS["ocr"] = ocr
            for group, members in [("all", files), *groups.items()] if not ocr else [("all", files)]:
                wall, cpu = time.perf_counter(), time.process_time()
                for path in members:
                    list(extractor.extract(path, ctx))
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                out[f"extract, {label}: {group} ({len(members)})"] = {
                    "seconds": round(wall, 2), "images_per_s": round(len(members) / wall, 2),
                    "cpu_s_per_image": round(cpu / len(members), 3)}
                mmrag_image.FEATURES._data.clear()
        mmrag_image.SETTINGS["ocr"] = False
        library = Library(Path(tmp) / "lib")
        wall, cpu = time.perf_counter(), time.process_time()
        library.index([folder])
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        out["index (extract + e5 text + image features), OCR off: all"] = {
            "seconds": round(wall, 2), "images_per_s": round(len(files) / wall, 2),
            "cpu_s_per_image": round(cpu / len(files), 3)}
        library.close()
        mmrag_image.SETTINGS["ocr"] = True
    return out


def _detector_ms(paths: list[Path]) -> dict:
    """The object detector alone (resize + network + NMS), per picture."""
    import mmrag_image

    pictures = [mmrag_image.open_picture(p, work_side=1024).image for p in paths]
    mmrag_image.DETECTOR.detect(pictures[0])
    times, cpu = [], time.process_time()
    for image in pictures:
        started = time.perf_counter()
        mmrag_image.DETECTOR.detect(image)
        times.append((time.perf_counter() - started) * 1000)
    cpu_ms = (time.process_time() - cpu) * 1000 / len(pictures)
    times.sort()
    return {"pictures": len(times), "median_ms": round(times[len(times) // 2], 1), "min_ms": round(times[0], 1),
            "cpu_ms": round(cpu_ms, 1)}


class _ShippedGraphDetector:
    """The detector as it ran before (kept here for the before/after comparison only):
    the whole shipped graph, its own TopK decoding, fixed 512 x 512 input."""

    def __init__(self) -> None:
        from mmrag_desktop.models import verify
        from mmrag_image import detect, runtime

        (path,) = verify(detect.MODEL)
        self._session = runtime.session(path)

    def detect(self, image: Image.Image) -> list:
        from mmrag_image import detect

        (rows,) = self._session.run(["tower_0/detections"], {"tower_0/images:0": detect.preprocess(image)})
        return detect.postprocess(rows[0], image.width, image.height)


def run_before_after(rounds: int = 3) -> dict:
    """Extraction of the small photos (OCR off, detection on) as it was — onnxruntime
    threads spinning, the detector's whole graph — and as it is now, alternating, so
    both see the same machine load."""
    import mmrag_image
    from mmrag_desktop.interfaces import ExtractContext
    from mmrag_image import analysis, runtime

    files = [p for p in sorted(build_speed_set().iterdir()) if p.name.startswith("small-")]
    extractor = mmrag_image.ImageExtractor()
    current = analysis.DETECTOR
    rates: dict[str, list[str]] = {"before (threads spin, whole graph)": [], "now (threads sleep, heads + numpy decoding)": []}
    mmrag_image.SETTINGS["ocr"] = False
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for n in range(rounds):
                for label in rates:
                    before = label.startswith("before")
                    runtime.SPINNING = before
                    analysis.VISION._session = None  # reopened with this round's threading
                    analysis.DETECTOR = _ShippedGraphDetector() if before else current
                    current._session = None
                    ctx = ExtractContext(media_dir=Path(tmp) / f"media-{n}-{before}")
                    list(extractor.extract(files[0], ctx))  # sessions open outside the timing
                    wall, cpu = time.perf_counter(), time.process_time()
                    for path in files:
                        list(extractor.extract(path, ctx))
                    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                    rates[label].append(f"{len(files) / wall:.2f}/s ({cpu / len(files):.3f} CPU-s)")
                    mmrag_image.FEATURES._data.clear()
    finally:
        runtime.SPINNING = False
        analysis.DETECTOR = current
        analysis.VISION._session = current._session = None
        mmrag_image.SETTINGS["ocr"] = True
    return {"images": len(files), "rounds": rates, "load_average_after": [round(x, 2) for x in os.getloadavg()]}


def run_prefetch_ab(rounds: int = 3) -> dict:
    """Index the camera JPEGs + small photos (OCR off, image space only) with the
    indexer's prefetch on and off, alternating, so both see the same machine load."""
    import shutil

    import mmrag_image
    from mmrag_desktop.config import Config
    from mmrag_desktop.library import Library

    source = build_speed_set()
    rates: dict[str, list[float]] = {"prefetch on": [], "prefetch off": []}
    mmrag_image.SETTINGS["ocr"] = False
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "pictures"
        folder.mkdir()
        for path in source.iterdir():
            if path.name.startswith(("camera-", "small-")):
                shutil.copy(path, folder / path.name)
        count = len(list(folder.iterdir()))
        for n in range(rounds):
            for label, concurrent in (("prefetch on", True), ("prefetch off", False)):
                mmrag_image.ImageExtractor.concurrent = concurrent
                library = Library(Path(tmp) / f"lib-{n}-{concurrent}", config=Config(encoders=("efficientnet-lite0-features",)))
                started = time.perf_counter()
                library.index([folder])
                rates[label].append(round(count / (time.perf_counter() - started), 2))
                library.close()
    mmrag_image.ImageExtractor.concurrent = True
    mmrag_image.SETTINGS["ocr"] = True
    return {"images": count, "images_per_s": rates}


def write(results: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    # A run without object detection is kept beside the default one, for comparison.
    stem = "images" if results.get("detect", True) else "images-no-detect"
    (RESULTS / f"{stem}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False), "utf-8")
    detect = "on" if results.get("detect", True) else "off (MMRAG_IMAGE_DETECT=0)"
    lines = ["# Pictures and scans: speed and quality", "", f"Object detection: {detect}.", "",
             f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; load average at start "
             f"{results['load_average']} (other work shared the cores: numbers are lower bounds).", ""]
    speed = results.get("speed")
    if speed:
        lines += [f"## Speed ({speed['images']} images, {speed['megapixels']} megapixels in all)", "",
                  "| stage: images | wall seconds | images/s (wall) | CPU-seconds per image |", "|---|---|---|---|"]
        lines += [f"| {k} | {v['seconds']} | {v['images_per_s']} | {v['cpu_s_per_image']} |"
                  for k, v in speed.items() if isinstance(v, dict) and "seconds" in v]
        for k, v in speed.items():
            if isinstance(v, dict) and "median_ms" in v:
                lines += ["", f"{k}: median {v['median_ms']} ms, fastest {v['min_ms']} ms ({v['pictures']} pictures); "
                          f"{v.get('cpu_ms', '?')} CPU-ms each on average."]
        lines += ["", "CPU-seconds count both cores (onnxruntime uses two threads, which sleep when idle); on an "
                  "idle 2-core machine images/s is at most 2 / CPU-seconds per image."]
        lines.append("")
    before_after = results.get("before_after")
    if before_after:
        lines += [f"## Before and after (small photos, {before_after['images']}, OCR off, detection on; rounds "
                  f"alternate; load average after: {before_after['load_average_after']})", "",
                  "| | pictures/s (CPU-seconds per picture) per round |", "|---|---|"]
        lines += [f"| {k} | {', '.join(v)} |" for k, v in before_after["rounds"].items()]
        lines.append("")
    prefetch = results.get("prefetch")
    if prefetch:
        lines += [f"## Overlapping files (indexer prefetch), {prefetch['images']} camera JPEGs + small photos, "
                  "OCR off, image space only; rounds alternate", "", "| | images/s per round |", "|---|---|"]
        lines += [f"| {k} | {', '.join(map(str, v))} |" for k, v in prefetch["images_per_s"].items()]
        lines.append("")
    quality = results.get("quality")
    if quality:
        lines += [f"## Quality: nDCG@10 ({quality['files']} files; index: {quality['index_report']})", "",
                  "| query kind | queries | bm25 | dense | hybrid (default) |", "|---|---|---|---|---|"]
        for kind, row in quality["kinds"].items():
            lines.append(f"| {kind} | {row['queries']} | {row['bm25']} | {row['dense']} | {row['hybrid']} |")
        lines += ["", "Hybrid misses (nDCG < 1): query → wanted, top 3 returned", ""]
        for kind, row in quality["kinds"].items():
            for miss in row["hybrid_misses"]:
                lines.append(f"* {kind}: `{miss['query']}` → {miss['want']}; got {miss['got']}")
    (RESULTS / f"{stem}.md").write_text("\n".join(lines) + "\n", "utf-8")
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--speed", action="store_true", help="speed only")
    parser.add_argument("--quality", action="store_true", help="quality only")
    args = parser.parse_args()
    results: dict = {"load_average": [round(x, 2) for x in os.getloadavg()],
                     "detect": os.environ.get("MMRAG_IMAGE_DETECT", "1") != "0"}
    if not args.quality:
        results["speed"] = run_speed()
        if results["detect"]:
            results["before_after"] = run_before_after()
        results["prefetch"] = run_prefetch_ab()
    if not args.speed:
        results["quality"] = run_quality()
    write(results)


if __name__ == "__main__":
    main()
