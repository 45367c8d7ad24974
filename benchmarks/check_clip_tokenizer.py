"""Check the CLIP tokenizer built from OpenAI's merges file (plugins/mmrag_clip/bpe.py)
against the reference implementation in ``open_clip`` (its ``SimpleTokenizer``).

    pip download --no-deps open-clip-torch==3.3.0 -d /tmp/oc && (cd /tmp/oc && unzip -o open_clip_torch-*.whl)
    pip install ftfy regex torch   # what open_clip's tokenizer module imports
    PYTHONPATH=/tmp/oc python benchmarks/check_clip_tokenizer.py

Texts: every query of the retrieval dev sets (English and Chinese) plus edge cases.
Writes ``benchmarks/results/clip_tokenizer.md``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "plugins"))

EDGE_CASES = ["don't you're we'll I'd", "naïve café résumé", "emoji 😀 and 北京", "x" * 300,
              "  spaces   everywhere  ", "price $19.99 #42", "e-mail: bob@example.com <b>bold</b>", ""]


def texts() -> list[str]:
    found = []
    for path in sorted(HERE.glob("**/*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                continue
            for key in ("query", "question", "text"):
                if isinstance(row, dict) and isinstance(row.get(key), str):
                    found.append(row[key])
    return found + EDGE_CASES


def main() -> None:
    import open_clip.tokenizer as reference

    from mmrag_clip.bpe import clip_tokenizer

    merges = Path(reference.default_bpe())
    ours = clip_tokenizer(merges)
    simple = reference.SimpleTokenizer(str(merges))
    cases = texts()
    differ = [t for t in cases if list(np.asarray(simple(t))[0]) != ours.encode(t).ids]
    report = (f"# CLIP tokenizer vs open_clip's SimpleTokenizer\n\n{len(cases)} texts "
              f"(dev-set queries and edge cases): {len(cases) - len(differ)} give identical ids, "
              f"{len(differ)} differ.\n")
    report += "".join(f"- differs: {t[:80]!r}\n" for t in differ[:20])
    (HERE / "results" / "clip_tokenizer.md").write_text(report, "utf-8")
    print(report)


if __name__ == "__main__":
    main()
