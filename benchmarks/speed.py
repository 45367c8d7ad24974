"""Speed and memory benchmark: indexing throughput, embedding throughput against the
CPU's compute bound, query latency at 10k and 100k chunks, unchanged re-index of a
10k-file tree, peak memory. Writes benchmarks/results/speed.json and speed.md.

    .venv/bin/python benchmarks/speed.py            # everything (~10 minutes on 2 cores)
    .venv/bin/python benchmarks/speed.py --quick    # smaller sizes, for a smoke run

What is real and what is synthetic, so the numbers are read right:
* Indexing and embedding throughput: real files (Python standard-library sources and
  docs on this machine), the real extractors and the real default encoder.
* Query latency at 10k/100k chunks: real chunk text in FTS5 and the real query encoder,
  but the stored vectors are random unit vectors — exact search costs the same whatever
  the values are, and embedding 100k chunks would take hours here.
* Re-index of an unchanged tree: 10k real small files, full-text only (the pass being
  measured never embeds: nothing changed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mmrag_desktop.config import Config  # noqa: E402
from mmrag_desktop.library import Library  # noqa: E402
from mmrag_desktop.records import Filters, Item  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"

QUERIES = [
    "how to read a file line by line",
    "parse command line arguments",
    "thread safe queue",
    "compress data with gzip",
    "send an email with attachments",
    "format a date as a string",
    "compare two sequences and show differences",
    "run a subprocess and capture output",
    "计算文件的哈希值",
    "如何解析 JSON 数据",
    "网络连接超时",
    "random numbers with a seed",
    "temporary directory cleaned up automatically",
    "unit test assertions",
    "decimal rounding",
    "walk a directory tree",
    "regular expression groups",
    "serialize objects to bytes",
    "logging to a file with rotation",
    "http server that serves files",
]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def numpy_gflops(seconds: float = 3.0) -> float:
    """Sustained float32 matmul GFLOP/s on this machine (the compute bound reference)."""
    n = 1024
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    b = np.random.default_rng(1).standard_normal((n, n), dtype=np.float32)
    a @ b
    runs, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        a @ b
        runs += 1
    return 2 * n**3 * runs / (time.perf_counter() - started) / 1e9


def stdlib_files(limit: int) -> list[Path]:
    lib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in lib.glob("*.py") if p.stat().st_size > 2000)
    return files[:limit]


def bench_indexing(work: Path, files: int) -> dict:
    corpus = work / "corpus"
    corpus.mkdir()
    for path in stdlib_files(files):
        (corpus / path.name).write_bytes(path.read_bytes())
    library = Library(work / "lib-index")
    started = time.perf_counter()
    report = library.index([corpus])
    seconds = time.perf_counter() - started
    status = library.status()
    library.close()
    return {
        "files": report.added,
        "chunks": status["items"],
        "seconds": round(seconds, 2),
        "files_per_s": round(report.added / seconds, 2),
        "chunks_per_s": round(status["items"] / seconds, 2),
        "note": "Python standard-library modules: extraction by the code plugin + embedding by the default encoder",
    }


def bench_embedding(chunks: list[str], gflops: float) -> dict:
    # Load the engine through the app's own plugin, so it runs with the app's settings
    # (OpenMP passive waiting, which also keeps later query timings honest).
    from mmrag_e5 import E5SmallEncoder

    model = E5SmallEncoder()._load()
    tokens = sum(model.token_count(t) for t in chunks)
    model.passage(chunks[:8])  # warm-up
    results = {}
    for batch in (1, 4, 8, 16, 32):
        ordered = sorted(chunks, key=len)
        started = time.perf_counter()
        for i in range(0, len(ordered), batch):
            model.passage(ordered[i : i + batch])
        seconds = time.perf_counter() - started
        results[f"batch_{batch}"] = round(tokens / seconds, 1)
    # multilingual-e5-small: 12 layers, hidden 384, FFN 1536. The 96M embedding-table
    # parameters are lookups, not multiply-adds, so they do not count.
    layer_params = 4 * 384 * 384 + 2 * 384 * 1536
    params = 12 * layer_params
    mean_tokens = tokens / len(chunks)
    attention_flops_per_token = 12 * 4 * mean_tokens * 384  # QK^T and AV
    flops_per_token = 2 * params + attention_flops_per_token
    bound = gflops * 1e9 / flops_per_token
    best = max(results.values())
    return {
        "chunks": len(chunks),
        "tokens": tokens,
        "mean_tokens_per_chunk": round(mean_tokens, 1),
        "tokens_per_s": results,
        "matmul_params": params,
        "flops_per_token": int(flops_per_token),
        "numpy_sgemm_gflops": round(gflops, 1),
        "compute_bound_tokens_per_s": round(bound, 1),
        "fraction_of_bound": round(best / bound, 3),
    }


def chunk_texts(count: int, seed: int = 0) -> list[str]:
    """Real text: paragraphs and docstrings of the standard library, ~60–250 tokens each."""
    texts: list[str] = []
    for path in stdlib_files(400):
        body = path.read_text("utf-8", errors="replace")
        for block in body.split("\n\n"):
            block = block.strip()
            if 200 <= len(block) <= 1200:
                texts.append(block)
    random.Random(seed).shuffle(texts)
    out = []
    while len(out) < count:
        out.extend(texts[: count - len(out)])
    return out


def build_scale_library(work: Path, chunks: int) -> Library:
    library = Library(work / f"lib-{chunks}")
    encoder = library.encoders[0]
    space = library.store.ensure_space(encoder.name, encoder.model_id, encoder.dim, encoder.metric, encoder.modalities)
    source = library.store.add_source(work)
    texts = chunk_texts(chunks)
    rng = np.random.default_rng(0)
    per_file = 20
    for start in range(0, chunks, per_file):
        group = texts[start : start + per_file]
        library.store.record_file(
            source_id=source.id,
            path=str(work / f"synthetic/{start // per_file}.txt"),
            size=1,
            mtime_ns=1,
            content_hash=str(start),
            status="indexed",
            extractor="text",
            media_type="text/plain",
            modality="text",
            items=[Item(t) for t in group],
        )
    ids = [r[0] for r in library.store._query("SELECT id FROM items ORDER BY id")]
    for start in range(0, len(ids), 5000):
        block = ids[start : start + 5000]
        vectors = rng.standard_normal((len(block), encoder.dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        library.store.add_vectors(space, block, vectors)
    return library


def bench_queries(library: Library, repeats: int = 3) -> dict:
    library.search("warm up the model and the vector cache")
    timings: dict[str, list[float]] = {"hybrid": [], "bm25": [], "dense": []}
    for _ in range(repeats):
        for query in QUERIES:
            for mode, only in (("hybrid", None), ("bm25", ("bm25",)), ("dense", ("dense",))):
                started = time.perf_counter()
                library.search(query, k=10, retrievers=only)
                timings[mode].append((time.perf_counter() - started) * 1000)
    out = {}
    for mode, values in timings.items():
        values.sort()
        out[mode] = {
            "p50_ms": round(statistics.median(values), 1),
            "p95_ms": round(values[int(len(values) * 0.95) - 1], 1),
            "n": len(values),
        }
    return out


def bench_cold_vector_load(work: Path, chunks: int) -> dict:
    """First search of a new process: vectors read from vec0 (no cache file yet), and
    from the on-disk matrix cache an earlier process left."""
    import shutil

    out = {}
    shutil.rmtree(work / f"lib-{chunks}" / "vector-cache", ignore_errors=True)
    for label in ("from_vec0_ms", "from_cache_file_ms"):
        library = Library(work / f"lib-{chunks}")
        encoder = library.encoders[0]
        space = library.store.ensure_space(encoder.name, encoder.model_id, encoder.dim, encoder.metric,
                                           encoder.modalities)
        started = time.perf_counter()
        library.store.dense_search(space, np.ones(encoder.dim, dtype=np.float32), 10, Filters())
        out[label] = round((time.perf_counter() - started) * 1000, 1)
        library.close()
    return out


def bench_unchanged_reindex(work: Path, files: int) -> dict:
    tree = work / "tree"
    for n in range(files):
        folder = tree / f"d{n // 100:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{n:05d}.txt").write_text(f"file {n}: a short note about item {n % 97}\n", "utf-8")
    library = Library(work / "lib-tree", config=Config(encoders=()))
    started = time.perf_counter()
    first = library.index([tree])
    first_seconds = time.perf_counter() - started
    started = time.perf_counter()
    second = library.index([tree])
    second_seconds = time.perf_counter() - started
    library.close()
    assert second.unchanged == files, second
    return {
        "files": files,
        "first_index_s": round(first_seconds, 2),
        "first_added": first.added,
        "unchanged_reindex_s": round(second_seconds, 2),
        "target_s": 10,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sizes = (2_000, 10_000) if args.quick else (10_000, 100_000)
    results: dict = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "date": time.strftime("%Y-%m-%d"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        gflops = numpy_gflops()
        results["embedding"] = bench_embedding(chunk_texts(64 if args.quick else 160, seed=1), gflops)
        print("embedding", results["embedding"], flush=True)
        results["indexing"] = bench_indexing(work, 5 if args.quick else 15)
        print("indexing", results["indexing"], flush=True)
        results["reindex_unchanged"] = bench_unchanged_reindex(work, 2_000 if args.quick else 10_000)
        print("reindex", results["reindex_unchanged"], flush=True)
        results["queries"] = {}
        for size in sizes:
            library = build_scale_library(work, size)
            results["queries"][str(size)] = bench_queries(library)
            library.close()
            results["queries"][str(size)]["first_search_vector_load"] = bench_cold_vector_load(work, size)
            print("queries", size, results["queries"][str(size)], flush=True)
    results["peak_rss_mb"] = round(peak_rss_mb(), 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "speed-quick" if args.quick else "speed"
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=2), "utf-8")
    (RESULTS / f"{name}.md").write_text(render(results), "utf-8")
    print(render(results))


def render(r: dict) -> str:
    e, i, t = r["embedding"], r["indexing"], r["reindex_unchanged"]
    lines = [
        f"# Speed ({r['date']}, {r['machine']['cpus']} CPUs, Python {r['machine']['python']})",
        "",
        "## Embedding (default encoder, multilingual-e5-small q4)",
        "",
        f"- {e['chunks']} real chunks, {e['tokens']} tokens ({e['mean_tokens_per_chunk']} per chunk)",
        "- tokens/s by batch size: " + ", ".join(f"{k.split('_')[1]}: {v}" for k, v in e["tokens_per_s"].items()),
        f"- compute bound: {e['numpy_sgemm_gflops']} GFLOP/s (numpy float32 matmul) / {e['flops_per_token']:,} FLOP "
        f"per token = {e['compute_bound_tokens_per_s']} tokens/s; best reaches **{e['fraction_of_bound']:.0%}** of it",
        "",
        "## Indexing",
        "",
        f"- {i['files']} files → {i['chunks']} chunks in {i['seconds']} s: {i['files_per_s']} files/s, "
        f"{i['chunks_per_s']} chunks/s ({i['note']})",
        f"- unchanged re-index of {t['files']} files: **{t['unchanged_reindex_s']} s** (target < {t['target_s']} s; "
        f"first full-text index {t['first_index_s']} s)",
        "",
        "## Query latency (excluding process start and model load)",
        "",
        "| chunks | hybrid p50 | hybrid p95 | BM25 p50 | dense p50 | first search: vectors from vec0 | from cache file |",
        "|---|---|---|---|---|---|---|",
    ]
    for size, q in r["queries"].items():
        lines.append(
            f"| {int(size):,} | {q['hybrid']['p50_ms']} ms | {q['hybrid']['p95_ms']} ms | "
            f"{q['bm25']['p50_ms']} ms | {q['dense']['p50_ms']} ms | "
            f"{q['first_search_vector_load']['from_vec0_ms']} ms | "
            f"{q['first_search_vector_load']['from_cache_file_ms']} ms |"
        )
    lines += ["", f"Peak RSS of the benchmark process: {r['peak_rss_mb']} MB", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
