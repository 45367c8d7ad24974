"""Chinese transcription settings, tuned on one half of the clips, reported on the other.

    python benchmarks/speech_tune.py                 # every setting on both halves (≈ 10 min)
    python benchmarks/speech_tune.py --configs current beam5

Material: 24 Mandarin sentences spoken by espeak-ng (voice ``cmn-latn-pinyin``, the TTS
plugin's default, as in benchmarks/speech.py): the 6 Chinese memos of the search
benchmark plus 18 more everyday memos. The *held-out* part holds the 6 search memos and
every other new sentence (15 clips); the *tune* part the other 9. Settings are chosen on
the tune part only; the held-out numbers are what is reported. A prompt that names the
memos' own topics ("prompt, memo-style": 开会, 电费 …) is listed to show how much such a
prompt moves the numbers, but not eligible: it leaks the dev set's words.

Each clip goes through the real pipeline (VAD → Whisper base int8) with the language
forced to Chinese, so only transcription is compared (language identification is
measured in benchmarks/speech.py). Metric: character error rate (CER, edit distance over
the said characters, punctuation and spaces removed; a traditional character where the
simplified one was said counts as an error, as it does for search), plus the share of
the said character bigrams found in the transcript (what the full-text index matches).
English clips (the 12 English memos) are transcribed with each setting that also
changes English decoding, to check it does no harm there (word error rate).

Writes ``benchmarks/results/speech-tune.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "plugins"))  # speech_media
sys.path.insert(0, str(HERE))

from speech import MEMOS, machine  # noqa: E402

RESULTS = HERE / "results"

EXTRA_ZH = [
    "请把会议纪要发给所有参会的同事。",
    "我明天下午三点要去机场接客户。",
    "冰箱里的牛奶快过期了，记得买新的。",
    "周五晚上公司有年终聚餐。",
    "孩子的家长会改到下个月五号。",
    "这份合同需要在月底之前签字。",
    "车子明天早上送去保养。",
    "记得给妈妈打电话祝她生日快乐。",
    "图书馆的书下周一要还。",
    "新来的实习生需要一台电脑。",
    "下雨了，出门别忘了带伞。",
    "服务器的硬盘空间已经满了。",
    "我们的航班改到晚上八点起飞。",
    "房租每个月十号之前交。",
    "周六上午带狗去宠物医院打疫苗。",
    "项目的预算比去年增加了一成。",
    "晚饭我想吃饺子和西红柿炒鸡蛋。",
    "老师说下周有数学考试。",
]

#: Setting name → (transcribe overrides, VAD padding in ms, applies to English too).
CONFIGS: dict[str, tuple[dict[str, Any], int, bool]] = {
    "current": ({}, 200, False),  # greedy, temperature 0, the short simplified-Chinese prompt
    "no prompt": ({"initial_prompt": None}, 200, False),
    "prompt, longer": ({"initial_prompt": "以下是普通话的句子，用简体中文书写，带标点。"}, 200, False),
    "prompt, memo-style": ({"initial_prompt": "今天的日程：开会、买菜、交电费。"}, 200, False),
    "beam 5": ({"beam_size": 5}, 200, True),
    "temperature fallback": ({"temperature": (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)}, 200, True),
    "beam 5 + fallback": ({"beam_size": 5, "temperature": (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)}, 200, True),
    "no repeat 3-grams": ({"no_repeat_ngram_size": 3}, 200, True),
    "VAD pad 400 ms": ({}, 400, True),
}

_DROP = re.compile(r"[\s\W_]+", re.UNICODE)


def clips() -> dict[str, list[tuple[str, str]]]:
    """``{"tune": [(name, sentence)], "held-out": [...], "en": [...]}``."""
    memos = [(name, said) for name, lang, said, _q in MEMOS if lang == "zh"]
    extra = [(f"zh{n:02d}", said) for n, said in enumerate(EXTRA_ZH)]
    return {"tune": extra[1::2], "held-out": memos + extra[0::2],
            "en": [(name, said) for name, lang, said, _q in MEMOS if lang == "en"]}


def edit_distance(a: list[str], b: list[str]) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, start=1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]


def cer(said: str, heard: str) -> tuple[int, int]:
    truth, hyp = list(_DROP.sub("", said)), list(_DROP.sub("", heard))
    return edit_distance(truth, hyp), len(truth)


def wer(said: str, heard: str) -> tuple[int, int]:
    words = lambda text: _DROP.sub(" ", text.lower()).split()  # noqa: E731
    return edit_distance(words(said), words(heard)), len(words(said))


def bigram_recall(said: str, heard: str) -> float:
    truth, hyp = _DROP.sub("", said), _DROP.sub("", heard)
    wanted = {truth[i:i + 2] for i in range(len(truth) - 1)}
    return len({g for g in wanted if g in hyp}) / len(wanted) if wanted else 1.0


def run(configs: list[str], tmp: Path) -> dict[str, Any]:
    import numpy as np
    from speech_media import silence, spoken

    from mmrag_audio.asr import Transcriber, whisper

    whisper()
    sets = clips()
    audio = {name: np.concatenate([silence(0.4), spoken(said, "zh" if part != "en" else "en", tmp), silence(0.4)])
             for part, items in sets.items() for name, said in items}
    report: dict[str, Any] = {}
    for config in configs:
        overrides, pad, english_too = CONFIGS[config]
        result: dict[str, Any] = {}
        for part, items in sets.items():
            if part == "en" and not english_too and config != "current":
                continue
            language = "en" if part == "en" else "zh"
            errors = total = 0
            recall: list[float] = []
            heard: dict[str, str] = {}
            start = time.perf_counter()
            for name, said in items:
                transcriber = Transcriber(language, decoding=overrides, vad_pad_ms=pad)
                text = " ".join(s.text for s in transcriber.segments(iter([(0.0, audio[name])])))
                e, n = (wer if language == "en" else cer)(said, text)
                errors, total = errors + e, total + n
                recall.append(bigram_recall(said, text))
                heard[name] = text
            result[part] = {"error_rate": round(errors / max(total, 1), 3),
                            "bigram_recall": round(sum(recall) / len(recall), 3),
                            "seconds": round(time.perf_counter() - start, 1), "heard": heard}
        report[config] = result
        print(config, {p: (r["error_rate"], r["bigram_recall"], r["seconds"]) for p, r in result.items()}, flush=True)
    return report


def write_markdown(data: dict[str, Any]) -> str:
    load = ", ".join(f"{x:.1f}" for x in data["machine"]["loadavg_at_start"])
    sets = clips()
    lines = ["# Chinese transcription settings (Whisper base int8)", "",
             f"Machine: {data['machine']['platform']}, {data['machine']['cpus']} CPUs, load average at start {load} "
             "(shared VM: times are only comparable within this run).", "",
             f"{len(sets['tune'])} tune clips, {len(sets['held-out'])} held-out clips (espeak-ng Mandarin, language "
             "forced to zh). CER = character error rate (lower is better); bigram recall = share of the said "
             "character pairs that appear in the transcript (what full-text search matches; higher is better). "
             "English: word error rate on the 12 English memos, for settings that change English decoding too.", "",
             "| setting | CER tune | CER held-out | bigram recall tune | bigram recall held-out | WER en | "
             "time tune (s) |", "|---|---|---|---|---|---|---|"]
    for config, result in data["configs"].items():
        en = result.get("en")
        lines.append(f"| {config} | {result['tune']['error_rate']:.3f} | {result['held-out']['error_rate']:.3f} | "
                     f"{result['tune']['bigram_recall']:.3f} | {result['held-out']['bigram_recall']:.3f} | "
                     f"{en['error_rate']:.3f} | {result['tune']['seconds']:.1f} |" if en else
                     f"| {config} | {result['tune']['error_rate']:.3f} | {result['held-out']['error_rate']:.3f} | "
                     f"{result['tune']['bigram_recall']:.3f} | {result['held-out']['bigram_recall']:.3f} | – | "
                     f"{result['tune']['seconds']:.1f} |")
    if data.get("chosen"):
        lines += ["", f"Chosen on the tune part: *{data['chosen']}* (`LANGUAGE_DECODING[\"zh\"]` in "
                  "plugins/mmrag_audio/asr.py): the lowest tune CER and the highest tune bigram recall among the "
                  "eligible settings, at no cost in time (loops are cut short). *prompt, memo-style* is not eligible: "
                  "its prompt names the dev set's own topics. CER above 1 means Whisper looped (\"上午四天上午四天…\")."]
    said = dict(sets["held-out"])
    for config in ("current", data.get("chosen")):
        if config and config in data["configs"]:
            lines += ["", f"Held-out transcripts with *{config}*:", ""]
            lines += [f"- said “{said[name]}” → heard “{text}”"
                      for name, text in data["configs"][config]["held-out"]["heard"].items()]
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=list(CONFIGS))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--chosen", help="the setting picked on the tune half (its transcripts are listed)")
    args = parser.parse_args()
    os.environ["MMRAG_ASR_THREADS"] = str(args.threads)
    os.environ.setdefault("MMRAG_MODELS_DIR", str(Path.home() / ".cache" / "mmrag-bench-models"))
    data: dict[str, Any] = {"machine": machine(), "chosen": args.chosen}
    with tempfile.TemporaryDirectory(prefix="mmrag-speech-tune-") as name:
        data["configs"] = run(args.configs, Path(name))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "speech-tune.json").write_text(json.dumps(data, indent=1, ensure_ascii=False), "utf-8")
    (RESULTS / "speech-tune.md").write_text(write_markdown(data), "utf-8")


if __name__ == "__main__":
    main()
