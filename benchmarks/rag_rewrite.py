"""Cost of rewriting follow-up questions with the LLM versus the rule-based condenser.

    python benchmarks/rag_rewrite.py [--model ID]

Runs the ``llm-rewrite`` transform (llama plugin) and the ``condense`` transform
(augment plugin) on the same follow-ups and writes ``benchmarks/results/rag-rewrite.md``:
seconds per rewrite and the queries each produced. The LLM rewriter is off by default
(``llm_query_rewrite``) when this costs more than about a second.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FOLLOW_UPS = [
    ("How do I log into a server with a key instead of a password?", "Use PubkeyAuthentication [1].",
     "And where do I put the public key?"),
    ("Which file holds the hostname set at boot?", "/etc/hostname [1].", "How do I print it?"),
    ("What is kernel error level 3 called?", "KERN_ERR [1].", "And level 7?"),
    ("怎样给 SSH 私钥设置密码？", "使用 ssh-keygen -p [1]。", "那 ssh-agent 怎么用呢？"),
    ("系统启动时主机名保存在哪个文件？", "/etc/hostname [1]。", "它应该包含全称域名吗？"),
    ("How do I reconfigure the locales?", "dpkg-reconfigure locales [1].", "Which file does it create?"),
]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="qwen2.5-coder-0.5b-instruct-q4_k_m")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    from mmrag_augment.condense import Condense
    from mmrag_desktop.config import Config
    from mmrag_desktop.records import Query
    from mmrag_llama import LlamaGenerator, LLMRewrite

    generator = LlamaGenerator()
    generator.configure(Config(llm_model=args.model, threads=args.threads, llm_query_rewrite=True))
    generator.engine()  # load and prime outside the timing
    llm, rules = LLMRewrite(generator), Condense()
    rows, llm_times, rule_times = [], [], []
    for previous, reply, question in FOLLOW_UPS:
        query = Query(question, original=question, history=(("user", previous), ("assistant", reply)))
        start = time.perf_counter()
        by_rules = rules.transform(query).text
        rule_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        by_llm = llm.transform(query).text
        llm_times.append(time.perf_counter() - start)
        rows.append((question, by_rules, by_llm, llm_times[-1]))
    load = os.getloadavg()[0]
    lines = [f"# Follow-up rewriting: LLM ({args.model}, {args.threads} threads) vs rules", "",
             f"Load average during the run: {load:.1f} on {os.cpu_count()} cores (other work was running).", "",
             f"* rules (`condense`): median {statistics.median(rule_times) * 1000:.2f} ms",
             f"* LLM (`llm-rewrite`): median {statistics.median(llm_times):.2f} s, max {max(llm_times):.2f} s", "",
             "| follow-up | rules | LLM | LLM s |", "|---|---|---|---|"]
    lines += [f"| {q} | {r} | {m} | {s:.2f} |" for q, r, m, s in rows]
    out = HERE / "results" / "rag-rewrite.md"
    out.write_text("\n".join(lines) + "\n", "utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
