"""Faces ("photos of this person"): what face detection costs the picture pipeline, and
how well one photo of a person finds the others, on real photographs fetched here.

    python benchmarks/faces.py        # writes benchmarks/results/faces.{json,md}

Material (cached under benchmarks/cache/faces/, never committed):
  * four White House photographs from the ``face_recognition`` 1.3.0 sdist on PyPI
    (``pip download``; tests/test_images): Barack Obama in three different photos
    (portrait 2012, Congress 2009, Blue Room 2010) and Joe Biden (Blue Room 2010);
  * scikit-image's sample photos (``bench`` extra): Eileen Collins (astronaut), the
    cameraman, and 20 photos with nobody in them;
  * edited copies of the people photos (mirrored, cropped, half size, brighter, JPEG
    q50): the same face as a user's other copy of a photo would show it.

Speed: the face stage alone (detect + align; descriptor per face) on the pictures as the
pipeline decodes them, and the picture extractor with faces on and off, alternating
rounds. Quality: distances between all descriptors (same person vs not, at the 0.6
threshold), then a library of everything and every people photo as a query: does the
faces list return exactly the other photos of that person, and where do they rank in
the hybrid result with and without the faces list.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / "cache" / "faces"
RESULTS = HERE / "results"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "plugins"))

import numpy as np  # noqa: E402
from PIL import Image, ImageEnhance, ImageOps  # noqa: E402

SDIST = "face_recognition==1.3.0"
#: file -> person (None: nobody)
PEOPLE = {"obama.jpg": "obama", "obama2.jpg": "obama", "obama3.jpg": "obama", "biden.jpg": "biden",
          "astronaut.png": "collins", "camera.png": "cameraman"}
NOBODY = ["brick.png", "chelsea.png", "coffee.png", "coins.png", "grass.png", "gravel.png", "horse.png",
          "hubble_deep_field.jpg", "moon.png", "motorcycle_left.png", "motorcycle_right.png", "page.png", "retina.jpg",
          "rocket.jpg", "text.png", "cell.png", "ihc.png", "logo.png", "color.png", "clock_motion.png"]
EDITS = ("mirror", "crop", "half", "bright", "q50")


def fetch() -> Path:
    folder = CACHE / "photos"
    if folder.exists():
        return folder
    (CACHE / "sdist").mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", SDIST, "-d",
                    str(CACHE / "sdist")], check=True, capture_output=True)
    folder.mkdir()
    with tarfile.open(next((CACHE / "sdist").glob("face_recognition-*.tar.gz"))) as archive:
        for member in archive.getmembers():
            name = Path(member.name).name
            if "/tests/test_images/" in member.name and name in PEOPLE:
                (folder / name).write_bytes(archive.extractfile(member).read())  # type: ignore[union-attr]
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("scikit-image is needed for its sample photos: pip install -e '.[bench]'")
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    for name in ["astronaut.png", "camera.png", *NOBODY]:
        (folder / name).write_bytes((data / name).read_bytes())
    return folder


def edit(image: Image.Image, how: str) -> Image.Image:
    w, h = image.size
    if how == "mirror":
        return ImageOps.mirror(image)
    if how == "crop":
        return image.crop((int(w * 0.1), int(h * 0.05), int(w * 0.9), int(h * 0.8)))
    if how == "half":
        return image.resize((w // 2, h // 2), Image.BILINEAR)
    if how == "bright":
        return ImageEnhance.Brightness(image).enhance(1.3)
    return image  # q50: only the JPEG quality changes


def build_edits(photos: Path) -> Path:
    folder = CACHE / "edited"
    if folder.exists():
        return folder
    folder.mkdir()
    for name in PEOPLE:
        with Image.open(photos / name) as image:
            rgb = image.convert("RGB")
        for how in EDITS:
            edit(rgb, how).save(folder / f"{Path(name).stem}-{how}.jpg", quality=50 if how == "q50" else 90)
    return folder


def person_of(name: str) -> str | None:
    stem = Path(name).stem.split("-")[0]
    return next((p for f, p in PEOPLE.items() if Path(f).stem == stem), None)


def run_speed(photos: Path, edited: Path, rounds: int = 3) -> dict:
    from mmrag_desktop.interfaces import ExtractContext
    from mmrag_faces import FACES, SETTINGS
    from mmrag_image import ImageExtractor, open_picture
    from mmrag_image.picture import FAST_SIDE

    paths = sorted(photos.iterdir())
    people = [p for p in paths if p.name in PEOPLE]
    # The face stage alone, on the picture as the extractor decodes it (longest side <= 1024).
    # CPU time, not wall time: other jobs share the two cores, and dlib runs on one thread.
    find_ms, describe_ms, sizes, scores = {"people": [], "nobody": []}, [], [], []
    for path in paths:
        picture = open_picture(path.read_bytes(), work_side=FAST_SIDE)
        FACES.find(picture.image)  # warm
        times = []
        for _ in range(3):
            start = time.process_time()
            faces = FACES.find(picture.image)
            times.append(time.process_time() - start)
        scores += [face.score for face in faces]
        find_ms["people" if path.name in PEOPLE else "nobody"].append(min(times) * 1000)
        sizes.append(picture.image.size)
        for face in faces:
            start = time.process_time()
            FACES.describe([face.chip])
            describe_ms.append((time.process_time() - start) * 1000)
    # The extractor (labels, objects, features, thumbnail; OCR off) with faces on and off.
    os.environ["MMRAG_IMAGE_OCR"] = "0"
    from mmrag_image import SETTINGS as IMAGE_SETTINGS

    IMAGE_SETTINGS["ocr"] = False
    extractor = ImageExtractor()
    per_round: dict[str, list[float]] = {"faces on": [], "faces off": []}
    cpu_round: dict[str, list[float]] = {"faces on": [], "faces off": []}
    with tempfile.TemporaryDirectory() as media:
        ctx = ExtractContext(media_dir=Path(media))
        list(extractor.extract(paths[0], ctx))  # warm every model
        for _ in range(rounds):
            for label, on in (("faces on", True), ("faces off", False)):
                SETTINGS["faces"] = on
                start, cpu = time.perf_counter(), time.process_time()
                for path in paths:
                    list(extractor.extract(path, ctx))
                per_round[label].append((time.perf_counter() - start) * 1000 / len(paths))
                cpu_round[label].append((time.process_time() - cpu) * 1000 / len(paths))
        SETTINGS["faces"] = True
        # The person gate: faces found when the detector runs on every picture, and which
        # of them the gate (CenterNet saw a person) let through.
        gated, ungated = {}, {}
        for path in [*paths, *sorted(edited.iterdir())]:
            if person_of(path.name) is None:
                continue
            items = list(extractor.extract(path, ctx))
            gated[path.name] = sum(1 for i in items if i.kind == "face")
            ungated[path.name] = len(FACES.find(open_picture(path.read_bytes(), work_side=FAST_SIDE).image))
    return {
        "pictures": len(paths), "people_pictures": len(people),
        "find_ms_people_median": round(statistics.median(find_ms["people"]), 1),
        "find_ms_nobody_median": round(statistics.median(find_ms["nobody"]), 1),
        "find_ms_max": round(max(find_ms["people"] + find_ms["nobody"]), 1),
        "describe_ms_per_face_median": round(statistics.median(describe_ms), 1) if describe_ms else None,
        "faces_found": len(describe_ms),
        "face_scores": [round(min(scores), 3), round(max(scores), 3)] if scores else None,
        "decoded_sizes": sorted({f"{w}x{h}" for w, h in sizes})[:6],
        "extract_ms_per_picture": {k: [round(v, 1) for v in vals] for k, vals in per_round.items()},
        "extract_cpu_ms_per_picture": {k: [round(v, 1) for v in vals] for k, vals in cpu_round.items()},
        "gate": {"faces_gated": gated, "faces_ungated": ungated},
    }


def run_quality(photos: Path, edited: Path) -> dict:
    from mmrag_desktop.library import Library
    from mmrag_faces import FACES, SAME_PERSON
    from mmrag_image import open_picture

    # 1. Distances between every face descriptor (originals and edited copies).
    vectors: list[tuple[str, str, np.ndarray]] = []
    for path in sorted([*photos.iterdir(), *edited.iterdir()]):
        person = person_of(path.name)
        if person is None:
            continue
        faces = FACES.find(open_picture(path.read_bytes(), work_side=1024).image)
        if faces:
            vectors.append((path.name, person, FACES.describe([faces[0].chip])[0]))
    same, other = [], []
    for i, (_, p, a) in enumerate(vectors):
        for _, q, b in vectors[i + 1:]:
            (same if p == q else other).append(float(np.linalg.norm(a - b)))
    # 2. A library of everything; each people photo (original) as a query.
    queries = []
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for path in [*photos.iterdir(), *edited.iterdir()]:
            (corpus / path.name).write_bytes(path.read_bytes())
        lib = Library(Path(tmp) / "lib")
        start = time.perf_counter()
        report = lib.index([corpus])
        index_s = time.perf_counter() - start
        for name, person in PEOPLE.items():
            query = Path(tmp) / f"query-{name}"
            query.write_bytes((photos / name).read_bytes())
            wanted = {p.name for p in corpus.iterdir() if person_of(p.name) == person and p.name != name}
            row: dict = {"query": name, "person": person, "relevant": len(wanted)}
            faces_hits = [n for h in lib.search(lib.file_query(query), k=50, retrievers=["faces"])
                          for n in [h.path.name, *(d.name for d in h.duplicates)]]
            faces_hits = [n for n in dict.fromkeys(faces_hits) if n != name]
            row["faces_list"] = len(faces_hits)
            row["faces_correct"] = sum(1 for n in faces_hits if n in wanted)
            for mode, retrievers in (("hybrid", None), ("without faces", ["bm25", "dense"])):
                # A near-duplicate folded into a hit (an edited copy) counts where the hit ranks.
                ranked = [n for h in lib.search(lib.file_query(query), k=20, retrievers=retrievers)
                          for n in [h.path.name, *(d.name for d in h.duplicates)]]
                ranked = [n for n in dict.fromkeys(ranked) if n != name][:10]
                row[f"{mode}: relevant in top 10"] = sum(1 for n in ranked if n in wanted)
                row[f"{mode}: strangers in top {len(wanted) or 1}"] = sum(
                    1 for n in ranked[: len(wanted) or 1] if person_of(n) not in (None, person))
            queries.append(row)
        lib.close()
    return {
        "descriptors": len(vectors), "same_pairs": len(same), "other_pairs": len(other),
        "same_max": round(max(same), 3) if same else None, "same_median": round(statistics.median(same), 3) if same else None,
        "other_min": round(min(other), 3) if other else None, "other_median": round(statistics.median(other), 3),
        "same_over_threshold": sum(1 for d in same if d >= SAME_PERSON),
        "other_under_threshold": sum(1 for d in other if d < SAME_PERSON),
        "people_without_face": sorted(p.name for p in [*photos.iterdir(), *edited.iterdir()]
                                      if person_of(p.name) and p.name not in {v[0] for v in vectors}),
        "index": {"files": report.added, "failed": report.failed, "seconds": round(index_s, 1)},
        "queries": queries,
    }


def write(results: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "faces.json").write_text(json.dumps(results, indent=2))
    s, q = results["speed"], results["quality"]
    lines = [
        "# Faces: cost and quality", "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores; load average at start {results['load']} "
        "(other work shared the cores: times are upper bounds). dlib runs single-threaded.", "",
        f"## Speed ({s['pictures']} pictures, {s['people_pictures']} with people; decoded as the pipeline does, "
        "longest side <= 1024)", "",
        "| stage | CPU ms |", "|---|---|",
        f"| detect + align, picture with people (median) | {s['find_ms_people_median']} |",
        f"| detect + align, picture with nobody (median) | {s['find_ms_nobody_median']} |",
        f"| detect + align, slowest picture | {s['find_ms_max']} |",
        f"| 128-d descriptor, per face (median of {s['faces_found']}; embedding pass) | {s['describe_ms_per_face_median']} |",
        "",
        f"Detector scores of the faces found: {s['face_scores']}.", "",
        "Picture extractor per picture, all pictures (labels, objects, features, thumbnail; OCR off), rounds "
        "alternating:", "",
        "| | wall ms per picture, each round | CPU ms per picture (both cores), each round |", "|---|---|---|",
        *(f"| {k} | {', '.join(str(v) for v in vals)} | "
          f"{', '.join(str(v) for v in s['extract_cpu_ms_per_picture'][k])} |"
          for k, vals in s["extract_ms_per_picture"].items()),
        "",
        "Person gate (the face detector runs only where CenterNet found a person): faces found per people picture "
        "(originals and edited copies), gated / detector on every picture (`MMRAG_IMAGE_FACES=all`):", "",
        "| picture | gated | ungated |", "|---|---|---|",
        *(f"| {n} | {s['gate']['faces_gated'][n]} | {s['gate']['faces_ungated'][n]} |"
          for n in sorted(s["gate"]["faces_gated"]) if s["gate"]["faces_gated"][n] or s["gate"]["faces_ungated"][n]),
        "",
        "## Quality", "",
        f"Descriptors: {q['descriptors']} faces (originals and edited copies: mirrored, cropped, half size, brighter, "
        f"JPEG q50). People pictures where no face was found: {', '.join(q['people_without_face']) or 'none'}.", "",
        "| pairs | count | median distance | worst | wrong at 0.6 |", "|---|---|---|---|---|",
        f"| same person | {q['same_pairs']} | {q['same_median']} | {q['same_max']} (max) | {q['same_over_threshold']} |",
        f"| different people | {q['other_pairs']} | {q['other_median']} | {q['other_min']} (min) | "
        f"{q['other_under_threshold']} |",
        "",
        f"Library: {q['index']['files']} files indexed in {q['index']['seconds']} s. Each original people photo as "
        "a query (`mmrag search --image`); relevant = the other photos and copies of that person:", "",
        "| query | person | relevant | faces list: returned / correct | hybrid: relevant in top 10 | "
        "without faces: relevant in top 10 | hybrid: other identified people in the top min(relevant, 10) | "
        "without faces: same |",
        "|---|---|---|---|---|---|---|---|",
        *(f"| {r['query']} | {r['person']} | {r['relevant']} | {r['faces_list']} / {r['faces_correct']} | "
          f"{r['hybrid: relevant in top 10']} | {r['without faces: relevant in top 10']} | "
          f"{next(v for k, v in r.items() if k.startswith('hybrid: strangers'))} | "
          f"{next(v for k, v in r.items() if k.startswith('without faces: strangers'))} |" for r in q["queries"]),
        "",
    ]
    (RESULTS / "faces.md").write_text("\n".join(lines))


def main() -> None:
    load = [round(v, 2) for v in os.getloadavg()]
    photos = fetch()
    edited = build_edits(photos)
    results = {"load": load, "speed": run_speed(photos, edited), "quality": run_quality(photos, edited)}
    write(results)
    print((RESULTS / "faces.md").read_text())


if __name__ == "__main__":
    main()
