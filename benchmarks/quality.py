"""Retrieval-quality benchmark on the bilingual Debian dev set.

    python benchmarks/quality.py                                  # default encoder, bigram FTS
    python benchmarks/quality.py --encoder all-minilm-l6-v2 --fts trigram
    python benchmarks/quality.py --encoder multilingual-e5-small,all-minilm-l6-v2
    python benchmarks/quality.py --tune                           # grid-search fusion on "tune", report "test"
    python benchmarks/quality.py --encoder none --fts bigram,trigram --modes bm25 --out quality-fts

Builds the corpus if it is missing (``benchmarks/devset/build_corpus.py``), indexes it
into a temporary library (one per encoder × FTS tokenizer), runs every query of
``benchmarks/devset/queries.jsonl`` in three modes -- BM25 only, dense only, hybrid -- and
reports nDCG@10 and Recall@10 (and MRR@10) per language group (en, zh, en->zh, zh->en)
and split (tune / test). Results go to ``benchmarks/results/quality.json`` and a readable
``benchmarks/results/quality.md``.

Only the public service API (``mmrag_desktop.library.Library``) is used. The unit of
evaluation is the file: every corpus file is one manual section (or one poem).

Metrics (per query, then averaged):
  * nDCG@10 with linear gain (the judged grade, 2 = answers it, 1 = related), as trec_eval;
  * Recall@10: share of the judged files (grade >= 1) found in the top 10;
  * MRR@10: 1 / rank of the first file of grade 2 (0 if none in the top 10).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import inspect
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE / "devset"))

import build_corpus  # noqa: E402  (benchmarks/devset/build_corpus.py)

QUERIES = HERE / "devset" / "queries.jsonl"
RESULTS = HERE / "results"
K = 10
MODES: dict[str, tuple[str, ...] | None] = {"bm25": ("bm25",), "dense": ("dense",), "hybrid": None}
GROUPS = ("en", "zh", "en->zh", "zh->en")
THREADS = [0]  # set from --threads; passed to Config.threads where the core has it
SCOPE = ["target"]  # set from --scope

# --------------------------------------------------------------------------- metrics


def dcg(gains: Sequence[float]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg_at_k(ranked: Sequence[str], relevant: dict[str, int], k: int = K) -> float:
    ideal = dcg(sorted(relevant.values(), reverse=True)[:k])
    return dcg([relevant.get(p, 0) for p in ranked[:k]]) / ideal if ideal > 0 else 0.0


def recall_at_k(ranked: Sequence[str], relevant: dict[str, int], k: int = K) -> float:
    wanted = {p for p, g in relevant.items() if g > 0}
    return len(wanted & set(ranked[:k])) / len(wanted) if wanted else 0.0


def mrr_at_k(ranked: Sequence[str], relevant: dict[str, int], k: int = K) -> float:
    top = max(relevant.values(), default=0)
    for i, p in enumerate(ranked[:k], 1):
        if relevant.get(p, 0) == top:
            return 1.0 / i
    return 0.0


def score_query(ranked: Sequence[str], relevant: dict[str, int]) -> dict[str, float]:
    return {
        "ndcg@10": ndcg_at_k(ranked, relevant),
        "recall@10": recall_at_k(ranked, relevant),
        "mrr@10": mrr_at_k(ranked, relevant),
    }


def aggregate(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    rows = list(rows)
    out: dict[str, Any] = {"n": len(rows)}
    for m in ("ndcg@10", "recall@10", "mrr@10"):
        out[m] = round(statistics.fmean(r[m] for r in rows), 4) if rows else None
    return out


# --------------------------------------------------------------------------- data


def load_queries(path: Path = QUERIES) -> list[dict[str, Any]]:
    queries = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    ids = [q["id"] for q in queries]
    if len(set(ids)) != len(ids):
        raise SystemExit("duplicate query ids in queries.jsonl")
    return queries


def check_judgments(queries: list[dict[str, Any]], corpus: Path) -> None:
    missing = [(q["id"], p) for q in queries for p in q["relevant"] if not (corpus / p).is_file()]
    if missing:
        raise SystemExit(f"judged files missing from the corpus (rebuild it?): {missing[:5]}")


# --------------------------------------------------------------------------- library


def make_config(
    encoder: str | None, fts: str | None, weights: dict[str, float] | None = None, rrf_k: int | None = None
) -> tuple[Any, dict[str, Any]]:
    """A Config with only the options this version of the core knows; and what was applied."""
    try:
        from mmrag_desktop.config import Config
    except ImportError:
        return None, {}
    known = {f.name for f in dataclasses.fields(Config)}
    changes: dict[str, Any] = {}
    if encoder and "encoders" in known:
        changes["encoders"] = () if encoder == "none" else (encoder,)
    if fts and "fts_tokenizer" in known:
        changes["fts_tokenizer"] = fts
    if weights is not None and "fusion_weights" in known:
        changes["fusion_weights"] = dict(weights)
    if rrf_k is not None and "rrf_k" in known:
        changes["rrf_k"] = rrf_k
    if THREADS[0] and "threads" in known:
        changes["threads"] = THREADS[0]
    return Config(**changes), changes


def open_library(data_dir: Path, config: Any) -> Any:
    import extra_encoders  # benchmarks/extra_encoders.py: encoders compared but not shipped

    from mmrag_desktop.library import Library
    from mmrag_desktop.plugins import Plugins

    plugins = Plugins()
    plugins.register_module(extra_encoders, "bench-encoders")
    return Library(data_dir=data_dir, config=config, plugins=plugins)


def target_folder(q: dict[str, Any], corpus: Path) -> Path | None:
    """The language folder a query's judged files live in (None: search everything)."""
    if SCOPE[0] != "target":
        return None
    langs = {p.split("/", 1)[0] for p in q["relevant"]}
    return corpus / langs.pop() if len(langs) == 1 else None


def search_paths(
    lib: Any,
    text: str,
    retrievers: tuple[str, ...] | None,
    corpus: Path,
    weights: dict[str, float] | None = None,
    folder: Path | None = None,
) -> list[str]:
    kwargs: dict[str, Any] = {"k": K, "retrievers": retrievers}
    if weights is not None:
        kwargs["weights"] = weights
    if folder is not None:
        from mmrag_desktop.records import Filters

        kwargs["filters"] = Filters(folders=(folder,))
    hits = lib.search(text, **kwargs)
    out = []
    for h in hits:
        p = Path(h.path)
        with contextlib.suppress(ValueError):
            p = p.resolve().relative_to(corpus)
        out.append(p.as_posix())
    return out


def run_queries(
    lib: Any,
    queries: list[dict[str, Any]],
    corpus: Path,
    modes: Sequence[str],
    weights: dict[str, float] | None = None,
) -> dict[str, Any]:
    per_mode: dict[str, Any] = {}
    for mode in modes:
        rows, times = [], []
        for q in queries:
            t0 = time.perf_counter()
            ranked = search_paths(lib, q["query"], MODES[mode], corpus, weights, target_folder(q, corpus))
            times.append(time.perf_counter() - t0)
            rows.append(
                {
                    "id": q["id"],
                    "lang": q["lang"],
                    "split": q["split"],
                    "top10": ranked,
                    **score_query(ranked, q["relevant"]),
                }
            )
        per_mode[mode] = {
            "queries": rows,
            "latency_ms": {
                "median": round(1000 * statistics.median(times), 1),
                "p95": round(1000 * sorted(times)[max(0, math.ceil(0.95 * len(times)) - 1)], 1),
            },
        }
    return per_mode


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for split in ("all", "tune", "test"):
        srows = [r for r in rows if split == "all" or r["split"] == split]
        table[split] = {"all": aggregate(srows)}
        for g in GROUPS:
            table[split][g] = aggregate(r for r in srows if r["lang"] == g)
        table[split]["cross"] = aggregate(r for r in srows if "->" in r["lang"])
    return table


def tune_fusion(
    lib_dir: Path, queries: list[dict[str, Any]], corpus: Path, encoder: str | None, fts: str | None
) -> dict[str, Any]:
    """Grid-search the BM25 weight (dense fixed at 1) and rrf_k on the tune split."""
    tune_q = [q for q in queries if q["split"] == "tune"]
    grid = []
    for rrf_k in (10, 30, 60):
        config, _ = make_config(encoder, fts, None, rrf_k)
        lib = open_library(lib_dir, config)
        per_call = "weights" in inspect.signature(lib.search).parameters
        try:
            for w in (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0):
                weights = {"bm25": w, "dense": 1.0}
                if per_call:
                    res = run_queries(lib, tune_q, corpus, ["hybrid"], weights)["hybrid"]["queries"]
                else:  # older core: weights only through the Config
                    lib.close()
                    lib = open_library(lib_dir, make_config(encoder, fts, weights, rrf_k)[0])
                    res = run_queries(lib, tune_q, corpus, ["hybrid"])["hybrid"]["queries"]
                grid.append({"rrf_k": rrf_k, "bm25_weight": w, "dense_weight": 1.0, **aggregate(res)})
                print(f"    tune rrf_k={rrf_k:<3} bm25={w:<4} nDCG@10={grid[-1]['ndcg@10']:.4f}", flush=True)
        finally:
            lib.close()
    best = max(grid, key=lambda g: (g["ndcg@10"], g["recall@10"], -abs(g["bm25_weight"] - 1.0)))
    config, _ = make_config(encoder, fts, {"bm25": best["bm25_weight"], "dense": 1.0}, best["rrf_k"])
    lib = open_library(lib_dir, config)
    try:
        rows = run_queries(lib, queries, corpus, ["hybrid"])["hybrid"]["queries"]
    finally:
        lib.close()
    return {
        "grid": grid,
        "best": {k: best[k] for k in ("rrf_k", "bm25_weight", "dense_weight")},
        "summary": summarise(rows),
        "queries": rows,
    }


def run_config(
    encoder: str | None,
    fts: str | None,
    queries: list[dict[str, Any]],
    corpus: Path,
    modes: Sequence[str],
    tune: bool,
    keep: Path | None,
) -> dict[str, Any]:
    config, applied = make_config(encoder, fts)
    label = f"encoder={encoder or 'default'} fts={fts or 'default'}"
    print(f"== {label}", flush=True)
    with tempfile.TemporaryDirectory(prefix="mmrag-quality-") as tmp:
        data_dir = Path(tmp) if keep is None else keep / f"{encoder or 'default'}-{fts or 'default'}"
        data_dir.mkdir(parents=True, exist_ok=True)
        lib = open_library(data_dir, config)
        try:
            t0 = time.perf_counter()
            index_kwargs: dict[str, Any] = {}
            if "progress" in inspect.signature(lib.index).parameters:
                index_kwargs["progress"] = None
            report = lib.index([corpus / "en", corpus / "zh"], **index_kwargs)
            index_s = time.perf_counter() - t0
            print(f"   indexed in {index_s:.1f}s", flush=True)
            status = _status(lib)
            result: dict[str, Any] = {
                "encoder": encoder,
                "fts": fts,
                "config_applied": _jsonable(applied),
                "index_seconds": round(index_s, 1),
                "index_report": _jsonable(report),
                "status": status,
                "modes": {},
            }
            per_mode = run_queries(lib, queries, corpus, modes)
        finally:
            lib.close()
        for mode, data in per_mode.items():
            result["modes"][mode] = {
                "summary": summarise(data["queries"]),
                "latency_ms": data["latency_ms"],
                "queries": data["queries"],
            }
            s = result["modes"][mode]["summary"]["all"]
            print(
                f"   {mode:<6} nDCG@10={s['all']['ndcg@10']:.4f} R@10={s['all']['recall@10']:.4f} "
                f"(en {s['en']['ndcg@10']:.3f} zh {s['zh']['ndcg@10']:.3f} cross {s['cross']['ndcg@10']:.3f})",
                flush=True,
            )
        if tune and "hybrid" in modes:
            result["tuned_hybrid"] = tune_fusion(data_dir, queries, corpus, encoder, fts)
    return result


def _status(lib: Any) -> Any:
    fn = getattr(lib, "status", None)
    if not callable(fn):
        return None
    try:
        return _jsonable(fn())
    except Exception as exc:  # status is informational only
        return {"error": repr(exc)}


def _jsonable(obj: Any) -> Any:
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if hasattr(obj, "to_json"):
        with contextlib.suppress(Exception):
            return _jsonable(obj.to_json())
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _jsonable(dataclasses.asdict(obj))
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    return repr(obj)


# --------------------------------------------------------------------------- report


def fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def markdown(report: dict[str, Any]) -> str:
    lines = ["# Retrieval quality — bilingual Debian dev set", ""]
    c = report["corpus"]
    lines += [
        f"Corpus: {c['files']} files ({', '.join(f'{k}: {v}' for k, v in sorted(c['counts'].items()))}), "
        f"from {', '.join(sorted(c['packages'].values()))}.",
        f"Queries: {report['queries']['total']} ({', '.join(f'{k}: {v}' for k, v in report['queries']['by_lang'].items())}); "
        "tune/test split by alternate ids. Unit: file (one manual section or one poem).",
        "Metrics: nDCG@10 (linear gain, grades 2/1), Recall@10, MRR@10 (first grade-2 file).",
        f"Scope: {report.get('scope')} — "
        + (
            "each query searches only the language folder (en/ or zh/) of its judged files; the corpus is "
            "parallel, so unrestricted cross-lingual queries would just find the same-language twin."
            if report.get("scope") == "target"
            else "every query searches the whole mixed en+zh library; judgments are unchanged."
        ),
        f"Machine: {report['machine']}, OMP_NUM_THREADS={report.get('omp_num_threads')}. Run: {report['started']}.",
        "",
        "Reproduce: `python benchmarks/quality.py " + " ".join(report["argv"]) + "`",
        "",
    ]
    for r in report["runs"]:
        lines += [f"## encoder = {r['encoder'] or 'default'}, FTS = {r['fts'] or 'default'}", ""]
        if r.get("error"):
            lines += [f"Could not run: `{r['error']}`", ""]
            continue
        lines += [f"Indexed in {r['index_seconds']} s.", ""]
        for split in ("test", "tune", "all"):
            lines += [
                f"### split: {split}",
                "",
                "| mode | all nDCG | all R@10 | en nDCG | en R@10 | zh nDCG | zh R@10 | en→zh nDCG | zh→en nDCG | cross R@10 | MRR (all) |",
                "|---|---|---|---|---|---|---|---|---|---|---|",
            ]
            rows = [(m, d["summary"][split]) for m, d in r["modes"].items()]
            if r.get("tuned_hybrid"):
                b = r["tuned_hybrid"]["best"]
                rows.append(
                    (f"hybrid tuned (bm25 w={b['bm25_weight']}, k={b['rrf_k']})", r["tuned_hybrid"]["summary"][split])
                )
            for mode, s in rows:
                lines.append(
                    f"| {mode} | {fmt(s['all']['ndcg@10'])} | {fmt(s['all']['recall@10'])} | {fmt(s['en']['ndcg@10'])} | "
                    f"{fmt(s['en']['recall@10'])} | {fmt(s['zh']['ndcg@10'])} | {fmt(s['zh']['recall@10'])} | "
                    f"{fmt(s['en->zh']['ndcg@10'])} | {fmt(s['zh->en']['ndcg@10'])} | {fmt(s['cross']['recall@10'])} | "
                    f"{fmt(s['all']['mrr@10'])} |"
                )
            lines.append("")
        lat = ", ".join(
            f"{m} {d['latency_ms']['median']} ms (p95 {d['latency_ms']['p95']})" for m, d in r["modes"].items()
        )
        lines += [f"Query latency (median): {lat}.", ""]
        # the hardest queries, to guide work
        if "hybrid" in r["modes"]:
            worst = sorted(r["modes"]["hybrid"]["queries"], key=lambda q: q["ndcg@10"])[:8]
            lines += ["Lowest hybrid nDCG@10:", ""]
            qtext = report["query_text"]
            for q in worst:
                lines.append(f"- {q['id']} ({q['lang']}) {fmt(q['ndcg@10'])} — {qtext[q['id']]}")
            lines.append("")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--encoder",
        default="",
        help="encoder name(s), comma-separated (default: the library's default; 'none': no encoder, "
        "full-text only, fast to index -- use with --modes bm25)",
    )
    ap.add_argument("--fts", default="", help="FTS tokenizer(s): bigram, trigram (comma-separated)")
    ap.add_argument("--modes", default="bm25,dense,hybrid")
    ap.add_argument("--tune", action="store_true", help="grid-search fusion weights on 'tune', report on all splits")
    ap.add_argument("--lang", default="", help="only these query groups, e.g. 'en,zh'")
    ap.add_argument("--cache", type=Path, default=build_corpus.DEFAULT_CACHE)
    ap.add_argument("--keep-index", type=Path, default=None, help="index into this folder instead of a temp dir")
    ap.add_argument("--out", default="quality", help="results file stem under benchmarks/results/")
    ap.add_argument(
        "--threads",
        type=int,
        default=1,
        help="CPU threads for the encoders (OMP_NUM_THREADS; 0 = leave to the runtime). Default 1: an "
        "OpenMP encoder on a busy machine can run 100x slower with more threads than free cores",
    )
    ap.add_argument(
        "--scope",
        choices=("target", "all"),
        default="target",
        help="target (default): each query searches only the language folder its judged files are in, so "
        "en->zh measures finding Chinese sections, not their English twins; all: search the whole mixed library",
    )
    args = ap.parse_args(argv)
    SCOPE[0] = args.scope
    if args.threads > 0:
        # Before any encoder loads: the engines read it once, at first use.
        os.environ["OMP_NUM_THREADS"] = str(args.threads)
        THREADS[0] = args.threads

    corpus = build_corpus.build(args.cache, quiet=False).resolve()
    manifest = json.loads((corpus / "MANIFEST.json").read_text("utf-8"))
    queries = load_queries()
    if args.lang:
        wanted = set(args.lang.split(","))
        queries = [q for q in queries if q["lang"] in wanted]
    check_judgments(queries, corpus)
    modes = [m for m in args.modes.split(",") if m]
    for m in modes:
        if m not in MODES:
            raise SystemExit(f"unknown mode {m!r}; choose from {list(MODES)}")

    try:
        import mmrag_desktop.library  # noqa: F401
    except ImportError as exc:
        raise SystemExit(f"mmrag_desktop.library is not available yet: {exc}") from exc

    encoders = [e for e in args.encoder.split(",") if e] or [None]
    ftss = [f for f in args.fts.split(",") if f] or [None]
    by_lang: dict[str, int] = {}
    for q in queries:
        by_lang[q["lang"]] = by_lang.get(q["lang"], 0) + 1
    report: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "argv": argv,
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "scope": args.scope,
        "machine": f"{platform.machine()} {platform.processor() or ''} {platform.system()} "
        f"python {platform.python_version()}".replace("  ", " "),
        "corpus": {"files": len(manifest["files"]), "counts": manifest["counts"], "packages": manifest["packages"]},
        "queries": {"total": len(queries), "by_lang": by_lang},
        "query_text": {q["id"]: q["query"] for q in queries},
        "runs": [],
    }
    for enc in encoders:
        for fts in ftss:
            try:
                report["runs"].append(run_config(enc, fts, queries, corpus, modes, args.tune, args.keep_index))
            except Exception as exc:  # one bad encoder must not lose the others' results
                print(f"   FAILED: {exc!r}", file=sys.stderr)
                report["runs"].append({"encoder": enc, "fts": fts, "error": repr(exc)})

    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", "utf-8")
    (RESULTS / f"{args.out}.md").write_text(markdown(report), "utf-8")
    print(f"wrote {RESULTS / (args.out + '.json')} and .md")
    return 0 if all(not r.get("error") for r in report["runs"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
