"""llama.cpp generation speed with and without GPU offload, through the project's own
generator (plugins/mmrag_llama: ``LlamaGenerator`` -> ``LlamaEngine``) and its real
prompt (``prefix_messages()`` + ~320 tokens of evidence from the bundled sample + a
question). Writes a JSON file and a markdown table.

    # here, on the CPU, against the real default model
    .venv/bin/python benchmarks/llama_gpu.py --model ~/.local/share/mmrag-desktop/models/\\
        qwen2.5-coder-0.5b-instruct-q4_k_m.gguf --gpu-layers 0 --threads 2 --label cpu-local

    # on a GPU machine without the model (benchmarks/llama_gpu.sh does all of it)
    python3 benchmarks/llama_gpu.py --make-twin .device --twin-out /tmp/twin.gguf
    python3 benchmarks/llama_gpu.py --model /tmp/twin.gguf --gpu-layers 0 -1

The shape twin: the 491 MB model cannot travel to the borrowed GPU machine, so
``--extract-twin`` (run here, needs the ``gguf`` package) keeps its GGUF header -- every
metadata key (tokenizer vocabulary, merges, chat template, qwen2 hyperparameters) and
every tensor's name, shape, type and offset, byte for byte -- and ``--make-twin`` (numpy
only) writes that header followed by random tensor data of the same types and sizes.
The twin has the same compute and the real tokenizer and chat template, so prompt token
counts, time to first token and tokens/s are representative; its answers are gibberish.
Random bytes are valid quantized data except for the fp16 block scales (random bits can
be NaN/inf), so those are overwritten with small finite values.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import os
import platform
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT, ROOT / "plugins"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

# A GPU build of llama.cpp must load before numpy (mmrag_desktop/native_preload.py): the
# first run on the H200 crashed loading the model because numpy came first.
import mmrag_desktop  # noqa: E402, F401

# isort: split
import numpy as np  # noqa: E402

if importlib.util.find_spec("mmrag_models") is None:
    # A bare checkout (the GPU machine installs nothing): the model catalog, which the
    # llama plugin resolves model paths through, is the package pyproject maps to models/.
    _spec = importlib.util.spec_from_file_location("mmrag_models", ROOT / "models" / "__init__.py",
                                                   submodule_search_locations=[str(ROOT / "models")])
    assert _spec is not None and _spec.loader is not None
    sys.modules["mmrag_models"] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules["mmrag_models"])

HEADER = "twin-header.bin.gz"
SPEC = "twin.json"

# Block layouts of the quantized types the default model uses (ggml-common.h): bytes
# per block of 32 or 256 weights, and (byte offset, value) of each fp16 scale in a
# block, chosen so random integers in the block give weights of about +-0.02 (a K-quant's
# second scale, dmin, is subtracted: sized to centre the unsigned quants on zero).
BLOCKS: dict[str, tuple[int, tuple[tuple[int, float], ...]]] = {
    "Q4_0": (18, ((0, 0.003),)),
    "Q5_0": (22, ((0, 0.002),)),
    "Q8_0": (34, ((0, 0.0003),)),
    "Q4_K": (144, ((0, 0.0001), (2, 0.00075))),
    "Q5_K": (176, ((0, 0.00005), (2, 0.00078))),
    "Q6_K": (210, ((208, 0.00002),)),
}


# -- the shape twin -------------------------------------------------------------------

def extract_twin(model: Path, out: Path) -> None:
    """Keep the model's header (metadata + tensor infos) and its tensor list."""
    import gguf  # only here: the GPU machine never needs it

    reader = gguf.GGUFReader(str(model))
    tensors = [{"name": t.name, "type": t.tensor_type.name, "shape": [int(d) for d in t.shape],
                "offset": int(t.data_offset), "bytes": int(t.n_bytes)} for t in reader.tensors]
    unknown = {t["type"] for t in tensors} - set(BLOCKS) - {"F32", "F16"}
    if unknown:
        raise SystemExit(f"--make-twin cannot fill tensors of type {sorted(unknown)}; add their block layout")
    size = model.stat().st_size
    end = max(t["offset"] + t["bytes"] for t in tensors)
    assert end <= size, (end, size)
    with open(model, "rb") as handle:
        header = handle.read(int(reader.data_offset))
    out.mkdir(parents=True, exist_ok=True)
    with gzip.open(out / HEADER, "wb", compresslevel=9) as handle:
        handle.write(header)
    meta = {"source": model.name, "size": size, "data_offset": int(reader.data_offset), "tensors": tensors}
    (out / SPEC).write_text(json.dumps(meta))
    print(f"twin spec: {len(tensors)} tensors, header {len(header)} bytes, model {size} bytes -> {out}")


def make_twin(spec_dir: Path, out: Path, seed: int = 0) -> Path:
    """Write the header and random tensors of the same types and byte sizes."""
    spec = json.loads((spec_dir / SPEC).read_text())
    header = gzip.decompress((spec_dir / HEADER).read_bytes())
    assert len(header) == spec["data_offset"] and header[:4] == b"GGUF"
    rng = np.random.default_rng(seed)
    with open(out, "wb") as handle:
        handle.write(header)
        for t in sorted(spec["tensors"], key=lambda t: t["offset"]):
            handle.write(b"\0" * (t["offset"] - handle.tell()))  # alignment padding
            handle.write(_random_tensor(t, rng))
        handle.write(b"\0" * (spec["size"] - handle.tell()))
    assert out.stat().st_size == spec["size"]
    return out


def _random_tensor(t: dict[str, Any], rng: np.random.Generator) -> bytes:
    n = t["bytes"]
    if t["type"] in ("F32", "F16"):
        dtype = np.float32 if t["type"] == "F32" else np.float16
        # Norm weights near 1, everything else (biases, plain weights) small.
        count = n // np.dtype(dtype).itemsize
        values = np.ones(count) if t["name"].endswith("norm.weight") else rng.normal(0.0, 0.02, count)
        return values.astype(dtype).tobytes()
    size, scales = BLOCKS[t["type"]]
    blocks = rng.integers(0, 256, size=n, dtype=np.uint8).reshape(-1, size)
    for at, scale in scales:
        d = rng.uniform(0.5 * scale, 1.5 * scale, len(blocks)).astype(np.float16)
        blocks[:, at:at + 2] = d.view(np.uint8).reshape(-1, 2)
    return blocks.tobytes()


# -- the benchmark --------------------------------------------------------------------

QUESTIONS = [
    "Why was the public launch moved?",
    "How often should the backup run?",
    "Which office is in Berlin?",
    "路由器的代理端口是多少？",
]


def evidence(engine: Any, budget: int = 320, offset: int = 0) -> list[Any]:
    """Real passages (the bundled sample files) up to ``budget`` tokens of the model's
    own tokenizer; ``offset`` rotates them so consecutive questions differ right after
    the cached prefix, as they do in use."""
    from mmrag_desktop.records import ItemHit, Locator

    sample = ROOT / "mmrag_desktop" / "sample"
    files = sorted(p for p in sample.rglob("*") if p.is_file() and p.suffix in {".txt", ".md", ".csv", ".py"})
    files = files[offset % len(files):] + files[: offset % len(files)]
    hits, used = [], 0
    for i, path in enumerate(files):
        text = path.read_text(encoding="utf-8").strip()
        room = budget - used
        if room <= 8:
            break
        while engine.count(text) > room:
            text = text[: int(len(text) * 0.9)]
        used += engine.count(text)
        hits.append(ItemHit(item_id=i, score=1.0, modality="text", kind="text", locator=Locator(),
                            snippet=text[:80], text=text))
    return hits


_LOG: dict[str, Any] = {}


def _capture_log(llama_cpp: Any) -> list[str]:
    """llama.cpp's log (the engine loads with verbose=False, which hides it), kept to read
    which device got how many layers. The callback is installed once and kept referenced
    here: llama.cpp calls it until the process ends, also while freeing a model."""
    if not _LOG:
        import llama_cpp._logger  # installs its callback at import; ours replaces it

        lines: list[str] = []

        @llama_cpp.llama_log_callback
        def capture(level: int, text: bytes, user_data: Any) -> None:
            lines.append(text.decode("utf-8", "replace"))

        llama_cpp.llama_log_set(capture, None)
        _LOG.update(lines=lines, callback=capture)
    return _LOG["lines"]


def run_config(model: Path, gpu_layers: int, threads: int, trials: int, max_tokens: int) -> dict[str, Any]:
    import llama_cpp

    from mmrag_desktop.pipeline.generate import build_messages, prefix_messages
    from mmrag_llama import LlamaGenerator
    from mmrag_llama import engine as engine_mod
    from mmrag_llama.gguf import resolve

    log = _capture_log(llama_cpp)
    log.clear()

    gen = LlamaGenerator()
    gen.model, gen.n_ctx, gen.threads, gen.gpu_layers, gen.max_tokens = str(model), 2048, threads, gpu_layers, max_tokens
    start = time.perf_counter()
    # The key the plugin uses, so gen.generate() below finds this engine loaded.
    engine = engine_mod.shared_engine(resolve(str(model)), n_ctx=gen.n_ctx, threads=threads, gpu_layers=gpu_layers)
    load_s = time.perf_counter() - start
    text = "".join(log)
    result: dict[str, Any] = {
        "gpu_layers_requested": gpu_layers,
        "supports_gpu_offload": bool(llama_cpp.llama_supports_gpu_offload()),
        "engine_gpu": engine.gpu,
        "threads": engine.threads,
        "load_s": round(load_s, 3),
        "_log": text,
        "offload_log": [line.strip() for line in text.splitlines()
                        if "offloaded" in line or "buffer size" in line
                        or ("CUDA" in line and ("Device" in line or "found" in line))][:12],
    }
    prefix = prefix_messages()
    prefix_prompt = engine._format_prefix(messages=prefix).prompt
    result["prefix_tokens"] = len(engine.llm.tokenize(prefix_prompt.encode(), add_bos=False, special=True))

    def ask(question: str, hits: list[Any], cancel: threading.Event | None = None, after: int | None = None,
            plugin: bool = True) -> tuple[dict[str, float], int, float | None]:
        pieces, cancelled_at, stop = 0, None, None
        # The plugin's path (LlamaGenerator.generate) primes the prefix first; the
        # engine's own stream() does not, which is what a cold measurement needs.
        stream = (gen.generate(question, hits, max_tokens=max_tokens, cancel=cancel) if plugin
                  else engine.stream(build_messages(question, hits), max_tokens=max_tokens, cancel=cancel))
        for _piece in stream:
            pieces += 1
            if after is not None and pieces == after and cancel is not None:
                cancelled_at = time.perf_counter()
                cancel.set()
        if cancelled_at is not None:
            stop = time.perf_counter() - cancelled_at
        return dict(engine.last), pieces, stop

    # Cold: nothing in the KV cache, the whole prompt (prefix included) is processed.
    hits = evidence(engine, offset=0)
    result["evidence_tokens"] = sum(engine.count(h.text) for h in hits)
    engine.llm.reset()
    engine.primed = None
    cold, _, _ = ask(QUESTIONS[0], hits, plugin=False)
    result["cold"] = cold
    # The app's steady state: the prefix evaluated once (prime), then each question
    # reuses it and processes only its evidence and question.
    engine.llm.reset()
    engine.primed = None
    start = time.perf_counter()
    engine.prime(prefix)
    result["prime_s"] = round(time.perf_counter() - start, 3)
    warm = []
    for i in range(trials):
        hits = evidence(engine, offset=i + 1)
        stats, _, _ = ask(QUESTIONS[(i + 1) % len(QUESTIONS)], hits)
        warm.append(stats)
    result["warm"] = warm
    result["prompt_tokens"] = warm[0]["prompt_tokens"]
    result["ttft_cold_s"] = round(cold["first_token_s"], 4)
    result["ttft_warm_s"] = round(statistics.median(w["first_token_s"] for w in warm), 4)
    rates = [w["generated_tokens"] / w["generate_s"] for w in [cold, *warm] if w.get("generate_s")]
    result["generated_tokens"] = [w["generated_tokens"] for w in [cold, *warm]]
    result["gen_tok_s"] = round(statistics.median(rates), 1) if rates else None

    # Decode speed without the chat loop: single-token evals after a real prompt. The
    # twin's random weights can stop an answer early (an end token); this cannot.
    n = 64
    tokens = engine.tokens(build_messages(QUESTIONS[0], evidence(engine)))
    engine.llm.reset()
    engine.llm.eval(tokens)
    start = time.perf_counter()
    for _ in range(n):
        engine.llm.eval([int(engine.llm._input_ids[engine.llm.n_tokens - 1]) % 1000 + 100])
    result["decode_tok_s"] = round(n / (time.perf_counter() - start), 1)

    # Cancel: the app's Stop button sets the event; the engine checks it between tokens.
    engine.llm.reset()
    engine.primed = None
    cancel = threading.Event()
    stats, pieces, stop_s = ask(QUESTIONS[0], evidence(engine), cancel=cancel, after=3)
    result["cancel"] = {"pieces_before_cancel": 3, "pieces_total": pieces,
                        "generated_tokens": stats.get("generated_tokens"),
                        "stop_s": None if stop_s is None else round(stop_s, 4),
                        # None: the answer ended (an end token) before the event was set.
                        "works": None if stop_s is None else pieces == 3}
    engine.llm.close()  # free the model (and its GPU memory) before the next configuration loads
    engine_mod._ENGINE.update(key=None, engine=None)
    return result


def _cancel_cell(cancel: dict[str, Any]) -> str:
    if cancel["works"] is None:
        return "not tested (answer ended first)"
    return f"{'stops' if cancel['works'] else 'FAILED'} ({cancel['stop_s']} s)"


def markdown(report: dict[str, Any]) -> str:
    lines = [f"# llama.cpp GPU offload ({report['label']})", "",
             f"Model: `{report['model']}`{' (shape twin: random weights, real tokenizer)' if report['twin'] else ''}; "
             f"llama-cpp-python {report['llama_cpp_python']}; {report['machine']}.", "",
             "| n_gpu_layers | GPU offload supported | offloaded | prompt tokens (prefix + rest) | TTFT cold s | "
             "TTFT warm s | gen tok/s | decode tok/s | load s | prime s | cancel |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in report["configs"]:
        offloaded = next((line.split("offloaded", 1)[1].strip() for line in r["offload_log"] if "offloaded" in line),
                         "-")
        lines.append(f"| {r['gpu_layers_requested']} | {r['supports_gpu_offload']} | {offloaded} | "
                     f"{r['prompt_tokens']} ({r['prefix_tokens']} + {r['prompt_tokens'] - r['prefix_tokens']}) | "
                     f"{r['ttft_cold_s']} | {r['ttft_warm_s']} | {r['gen_tok_s']} | {r['decode_tok_s']} | "
                     f"{r['load_s']} | {r['prime_s']} | "
                     f"{_cancel_cell(r['cancel'])} |")
    lines += ["", "TTFT cold: empty KV cache, whole prompt processed. TTFT warm: the fixed prefix (system prompt + "
              "worked examples) already in the KV cache (`LlamaEngine.prime`), median of the trials. gen tok/s: "
              "the engine's stream (median); decode tok/s: 64 single-token evals (the twin's random weights may "
              "end an answer early, this cannot). Cancel: the event set after 3 streamed pieces; stops = no "
              "piece after it.", ""]
    for r in report["configs"]:
        lines.append(f"- n_gpu_layers={r['gpu_layers_requested']}: " + "; ".join(r["offload_log"][:6]))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--extract-twin", type=Path, metavar="MODEL", help="write the twin spec of MODEL to --out")
    parser.add_argument("--make-twin", type=Path, metavar="DIR", help="write a twin GGUF from the spec in DIR")
    parser.add_argument("--twin-out", type=Path, default=Path("/tmp/twin.gguf"))
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--model", type=Path)
    parser.add_argument("--gpu-layers", type=int, nargs="+", default=[0, -1])
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--label", default="llama_gpu")
    parser.add_argument("--twin", action="store_true", help="the model is a shape twin (said in the table)")
    args = parser.parse_args()
    if args.extract_twin:
        extract_twin(args.extract_twin, args.out)
        return
    if args.make_twin:
        start = time.perf_counter()
        make_twin(args.make_twin, args.twin_out)
        print(f"twin {args.twin_out} written in {time.perf_counter() - start:.1f} s")
        if not args.model:
            return
    if not args.model:
        parser.error("--model is required")
    import llama_cpp

    report: dict[str, Any] = {
        "label": args.label, "model": args.model.name, "twin": args.twin,
        "llama_cpp_python": llama_cpp.__version__,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "configs": [],
    }
    for layers in args.gpu_layers:
        print(f"-- n_gpu_layers={layers}", flush=True)
        result = run_config(args.model, layers, args.threads, args.trials, args.max_tokens)
        args.out.mkdir(parents=True, exist_ok=True)
        # llama.cpp's own log of the load (devices, buffers, layers), for anything the table misses.
        (args.out / f"{args.label}-llama-log-ngl{layers}.txt").write_text(result.pop("_log"))
        print(json.dumps(result, indent=1), flush=True)
        report["configs"].append(result)
    (args.out / f"{args.label}.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    (args.out / f"{args.label}.md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
