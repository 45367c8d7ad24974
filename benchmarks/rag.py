"""RAG answer benchmark: answer accuracy, citation accuracy, refusals, speed, ablations.

    python benchmarks/rag.py                                   # default model, all configurations
    python benchmarks/rag.py --model smollm2-135m-instruct-q4_1 --configs full
    python benchmarks/rag.py --configs full,no-compress --limit 8
    python benchmarks/rag.py --questions benchmarks/rag/questions-heldout.jsonl --configs full --out rag-heldout

Corpus: four chapters (3, 4, 6, 8; ``--chapters`` picks others) of the Debian Reference in
English and Chinese from the retrieval dev set's corpus (``benchmarks/devset/build_corpus.py``
builds it from Debian packages), indexed once with the default encoder into
``benchmarks/cache/rag/`` (``benchmarks/cache/rag-<chapters>/`` for other chapters);
``--manual maint-guide`` holds the whole Debian New Maintainers' Guide instead
(``benchmarks/cache/rag-maint-guide/``).
Questions: ``benchmarks/rag/questions.jsonl`` -- answerable ones name the facts the answer
must contain (any one of them) and the file it must cite; unanswerable ones (on-topic and
off-topic) have no file.

Per configuration (an ablation switches one stage off):
  * answer accuracy: answerable questions answered (supported) with a listed fact;
  * citation accuracy: answered questions whose citations include the expected file
    (and "exact": cite only that file);
  * refusal rate: unanswerable questions answered "not in your files" (supported false);
  * false refusals: answerable questions refused;
  * time to first token (question in, first answer text out: retrieval + augmentation +
    prompt processing) and generation tokens/s, from the engine's counters.
Writes ``benchmarks/results/rag-<model>.json`` and appends a table to ``rag.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE / "devset"))

QUESTIONS = HERE / "rag" / "questions.jsonl"
CACHE = HERE / "cache"
RESULTS = HERE / "results"
CHAPTERS = ("ch03", "ch04", "ch06", "ch08")
CONFIGS: dict[str, dict[str, Any]] = {
    "full": {},
    "no-compress": {"augmenters": ("instruction-guard", "mmr"), "evidence_items": 3},
    "no-mmr": {"augmenters": ("instruction-guard", "compress")},
    "no-gate": {"answer_min_coverage": 0.0},
    "no-grounding-check": {"answer_grounding_check": False},
    "no-refusal-probability": {"answer_refusal_threshold": 0.0},
    # The refusal policy before 2026-11-26's third session: a strict coverage gate, no doubt check.
    "gate-0.5-no-doubt": {"answer_min_coverage": 0.5, "answer_refusal_threshold": 0.0},
    # Half the evidence budget: what a slower (larger) model needs for a 3 s first token.
    "evidence-160": {"evidence_tokens": 160},
    "evidence-240": {"evidence_tokens": 240},
    "no-citation-check": {"answer_citation_check": False},
}


MANUALS = ("debian-reference", "maint-guide")


def workdir(chapters: tuple[str, ...], manual: str = "debian-reference") -> Path:
    """The corpus copy and library for ``chapters`` of ``manual``: ``cache/rag`` for the
    default four of the Debian Reference, ``cache/rag-maint-guide`` for the whole
    maintainer's guide."""
    if manual != "debian-reference":
        return CACHE / f"rag-{manual}"
    return CACHE / ("rag" if chapters == CHAPTERS else "rag-" + "-".join(chapters))


def corpus(chapters: tuple[str, ...] = CHAPTERS, manual: str = "debian-reference") -> Path:
    source = CACHE / "corpus"
    if not source.exists():
        import build_corpus  # benchmarks/devset/build_corpus.py

        build_corpus.build(CACHE)
    target = workdir(chapters, manual) / "corpus"
    if not target.exists():
        for lang in ("en", "zh"):
            if manual != "debian-reference":
                shutil.copytree(source / lang / manual, target / lang / manual)
                continue
            for chapter in chapters:
                shutil.copytree(source / lang / "debian-reference" / chapter,
                                target / lang / "debian-reference" / chapter)
    return target


def run(model: str, name: str, overrides: dict[str, Any], questions: list[dict[str, Any]], threads: int,
        chapters: tuple[str, ...] = CHAPTERS, manual: str = "debian-reference") -> dict:
    from mmrag_desktop.config import Config
    from mmrag_desktop.library import Library

    docs = corpus(chapters, manual)
    data = workdir(chapters, manual) / "lib"
    with Library(data, config=Config(threads=threads)) as library:
        library.index([docs])  # incremental: only the first run embeds
    config = Config(threads=threads, llm_model=model, **overrides)
    rows = []
    with Library(data, config=config) as library:
        generator = library._text_generator()
        library.ask("warm up: what is the hostname file?")  # load the model, prime the system prompt
        for q in questions:
            answer = library.ask(q["question"])
            stats = generator.stats() if hasattr(generator, "stats") else {}
            cited = sorted({str(Path(c.path).relative_to(docs)) for c in answer.citations})
            text = answer.text
            first = answer.timings.get("first_token_s")
            rows.append({
                "id": q["id"], "lang": q["lang"], "answerable": bool(q["cite"]), "supported": answer.supported,
                "correct": answer_is_correct(q, answer.supported, text),
                "cites_expected": bool(q["cite"]) and q["cite"] in cited,
                "cites_only_expected": bool(q["cite"]) and cited == [q["cite"]],
                "evidence_has_file": bool(q["cite"]) and any(
                    h.path and str(Path(h.path).relative_to(docs)) == q["cite"] for h in answer.evidence),
                "cited": cited, "answer": text, "query": answer.query,
                "ttft_s": (answer.timings["retrieve_s"] + answer.timings["augment_s"] + first)
                if first is not None else None,
                "prompt_tokens": stats.get("prompt_tokens") if answer.timings.get("generate_s") else None,
                "cached_tokens": stats.get("cached_tokens") if answer.timings.get("generate_s") else None,
                "generated_tokens": stats.get("generated_tokens") if answer.timings.get("generate_s") else None,
                "generate_s": stats.get("generate_s") if answer.timings.get("generate_s") else None,
                "total_s": answer.timings["total_s"],
            })
    return {"config": name, "overrides": {k: list(v) if isinstance(v, tuple) else v for k, v in overrides.items()},
            "summary": summarize(rows), "rows": rows}


def answer_is_correct(question: dict[str, Any], supported: bool, text: str) -> bool:
    return bool(question["cite"]) and supported and any(f.lower() in text.lower() for f in question["facts"])


def rescore(path: Path, questions: list[dict[str, Any]], model: str, threads: int) -> None:
    by_id = {q["id"]: q for q in questions}
    results = json.loads(path.read_text("utf-8"))
    for result in results:
        for row in result["rows"]:
            row["correct"] = answer_is_correct(by_id[row["id"]], row["supported"], row["answer"])
        result["summary"] = summarize(result["rows"])
    path.write_text(json.dumps(results, ensure_ascii=False, indent=1), "utf-8")
    path.with_suffix(".md").write_text(table(results, model, threads), "utf-8")
    print(table(results, model, threads))


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    answered = [r for r in answerable if r["supported"]]
    ttft = sorted(r["ttft_s"] for r in rows if r["ttft_s"] is not None and r["generate_s"])
    speeds = [r["generated_tokens"] / r["generate_s"] for r in rows
              if r["generate_s"] and r["generated_tokens"] and r["generated_tokens"] > 4]
    prompts = [r["prompt_tokens"] - (r["cached_tokens"] or 0) for r in rows if r["prompt_tokens"]]

    def share(part: list[Any], whole: list[Any]) -> float | None:
        return round(len(part) / len(whole), 3) if whole else None

    return {
        "answerable": len(answerable), "unanswerable": len(unanswerable),
        "answer_accuracy": share([r for r in answerable if r["correct"]], answerable),
        "citation_accuracy": share([r for r in answered if r["cites_expected"]], answered),
        "citation_exact": share([r for r in answered if r["cites_only_expected"]], answered),
        "evidence_recall": share([r for r in answerable if r["evidence_has_file"]], answerable),
        "refusal_rate": share([r for r in unanswerable if not r["supported"]], unanswerable),
        "false_refusals": share([r for r in answerable if not r["supported"]], answerable),
        "ttft_median_s": round(statistics.median(ttft), 2) if ttft else None,
        "ttft_max_s": round(max(ttft), 2) if ttft else None,
        "ttft_under_3s": share([t for t in ttft if t < 3.0], ttft),
        "new_prompt_tokens_median": int(statistics.median(prompts)) if prompts else None,
        "tokens_per_s_median": round(statistics.median(speeds), 1) if speeds else None,
        "total_median_s": round(statistics.median(r["total_s"] for r in rows), 2),
    }


def table(results: list[dict[str, Any]], model: str, threads: int) -> str:
    lines = [f"### {model} ({threads or os.cpu_count()} threads, {platform.machine()}, {time.strftime('%Y-%m-%d')})", "",
             "| configuration | answer acc. | citation acc. (exact) | evidence recall | refusals (unanswerable) "
             "| false refusals | TTFT median / max | TTFT < 3 s | new prompt tokens | gen tok/s | load avg |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for result in results:
        s = result["summary"]
        lines.append(
            f"| {result['config']} | {s['answer_accuracy']} | {s['citation_accuracy']} ({s['citation_exact']}) "
            f"| {s['evidence_recall']} | {s['refusal_rate']} | {s['false_refusals']} "
            f"| {s['ttft_median_s']} / {s['ttft_max_s']} s | {s['ttft_under_3s']} | {s['new_prompt_tokens_median']} "
            f"| {s['tokens_per_s_median']} | {result.get('load_average', '?')} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="qwen2.5-coder-0.5b-instruct-q4_k_m")
    ap.add_argument("--configs", default=",".join(CONFIGS))
    ap.add_argument("--limit", type=int, default=0, help="only the first N questions (smoke test)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=None, help="results name (default rag-<model>)")
    ap.add_argument("--chapters", default=",".join(CHAPTERS),
                    help="Debian Reference chapters the library holds (questions-blind2.jsonl: ch05,ch07,ch10,ch11)")
    ap.add_argument("--manual", choices=MANUALS, default="debian-reference",
                    help="the manual the library holds: maint-guide is the whole guide (--chapters is ignored; "
                         "questions-blind5.jsonl)")
    ap.add_argument("--questions", type=Path, default=QUESTIONS,
                    help="question file (e.g. benchmarks/rag/questions-heldout.jsonl, never used for tuning)")
    ap.add_argument("--rescore", type=Path, default=None,
                    help="re-score a results file's recorded answers against the question file's facts "
                         "(after a fact list is corrected), rewrite it and its table, and run nothing")
    args = ap.parse_args(argv)
    chapters = tuple(args.chapters.split(","))
    questions = [json.loads(line) for line in args.questions.read_text("utf-8").splitlines() if line.strip()]
    if args.rescore:
        rescore(args.rescore, questions, args.model, args.threads)
        return
    if args.limit:
        questions = questions[: args.limit]
    results = []
    for name in args.configs.split(","):
        started, load_before = time.time(), os.getloadavg()[0]
        result = run(args.model, name, CONFIGS[name], questions, args.threads, chapters, args.manual)
        result["seconds"] = round(time.time() - started, 1)
        # Timings depend on what else runs on the machine: keep the load next to them.
        result["load_average"] = [round(load_before, 1), round(os.getloadavg()[0], 1)]
        result["questions"] = str(args.questions)
        print(name, json.dumps(result["summary"]), flush=True)
        results.append(result)
    RESULTS.mkdir(exist_ok=True)
    out = args.out or f"rag-{args.model}"
    (RESULTS / f"{out}.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), "utf-8")
    with open(RESULTS / f"{out}.md", "w", encoding="utf-8") as handle:
        handle.write(table(results, args.model, args.threads))
    print(table(results, args.model, args.threads))


if __name__ == "__main__":
    main()
