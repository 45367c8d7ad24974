"""Library settings, persisted as ``settings.json`` in the library's data directory.

Defaults are what a person pointing the app at their documents would expect; every
value can be overridden per library (``mmrag config``) or per call in tests.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_EXCLUDES: tuple[str, ...] = (
    # Version control, caches and build output: never a person's documents.
    "**/.git/**", "**/.hg/**", "**/.svn/**", "**/__pycache__/**", "**/node_modules/**",
    "**/.venv/**", "**/venv/**", "**/.tox/**", "**/.mypy_cache/**", "**/.cache/**",
    "**/*.pyc", "**/*.o", "**/*.so", "**/*.dll", "**/*.exe", "**/*.tmp", "**/~$*",
    "**/.DS_Store", "**/Thumbs.db", "**/desktop.ini",
)


@dataclass(frozen=True)
class Config:
    #: Names of the encoders to use; None means every encoder whose plugin marks it default.
    encoders: tuple[str, ...] | None = None
    #: How CJK text is tokenised for full-text search: "bigram" (overlapping CJK bigrams
    #: on the unicode61 tokenizer) or "trigram" (SQLite's trigram tokenizer). Fixed when
    #: the database is created.
    fts_tokenizer: str = "bigram"
    #: Files larger than this are skipped (with a recorded reason) unless an extractor
    #: sets its own limit.
    max_file_mb: float = 20.0
    skip_hidden: bool = True
    exclude: tuple[str, ...] = DEFAULT_EXCLUDES
    follow_symlinks: bool = True
    #: Chunk size in estimated tokens (capped by the encoder's own limit) and overlap.
    chunk_tokens: int = 256
    overlap_tokens: int = 32
    #: Seconds one file's extraction may take before it is recorded as failed and the
    #: index moves on (a hung or pathological extractor must not stall indexing).
    extract_timeout_s: float = 300.0
    #: Items embedded per encoder call (and per vector commit). With the default encoder
    #: on 2 idle cores: 1,290 tokens/s at 1, 1,460 at 8, 1,490 at 16–32
    #: (benchmarks/results/speed.md); larger batches only delay the next commit.
    embed_batch: int = 16
    #: Files whose items are written per database transaction.
    commit_every: int = 32
    #: Reciprocal-rank-fusion constant and per-list weights (keys are list-name prefixes).
    #: Tuned on the "tune" half of the dev set (benchmarks/results/quality.md): with the
    #: textbook k=60 and equal weights hybrid barely beat dense alone and lost to it in
    #: English; k=10 with BM25 at 0.75 gains +0.024 nDCG@10 on the held-out half.
    rrf_k: int = 10
    fusion_weights: dict[str, float] = field(default_factory=lambda: {"bm25": 0.75, "dense": 1.0})
    #: CPU threads for encoders (0: let the runtime decide).
    threads: int = 0
    #: Plugins the user turned off (names as in `mmrag plugins`); kept across restarts.
    disabled_plugins: tuple[str, ...] = ()
    #: Desktop app language ("en", "zh_CN"); empty follows the system locale.
    language: str = ""
    #: Languages your files are in (ISO 639-1: "en", "zh", "de" …). Speech recognition
    #: picks each recording's language among these instead of trusting the model's
    #: overall guess; empty: the system locale's language plus English and Chinese.
    #: ``MMRAG_ASR_LANGUAGES`` overrides it (docs/plugins.md, speech).
    content_languages: tuple[str, ...] = ()
    #: Answer generation (`mmrag ask`): the catalogued model id, or a path to a GGUF file;
    #: "auto": the generator plugin's choice for this machine (llama: the small default
    #: model, the larger one when it is installed and llama.cpp can use a GPU).
    llm_model: str = "auto"
    #: Context window of the generator, answer length cap, and GPU layers when the
    #: llama.cpp build can offload (-1: all; 0: CPU only).
    llm_context_tokens: int = 2048
    answer_max_tokens: int = 200
    llm_gpu_layers: int = -1
    #: Evidence the generator reads, in its tokens. Prompt processing runs at about 180
    #: tokens/s on a 2-core CPU with the default model, so this bounds time to first
    #: token (benchmarks/results/rag.md).
    evidence_tokens: int = 320
    evidence_items: int = 5
    #: Below this share of the question's terms found in the evidence, answer "not in
    #: your files" without generating: a filter for questions about something else
    #: entirely. It was 0.5, which refused half of the answerable questions asked at
    #: length, in a user's own words (docs/rag.md); every answerable dev question has
    #: 0.21 or more, most off-topic ones 0 to 0.12.
    answer_min_coverage: float = 0.15
    #: Mark an answer unsupported when it only restates the question or states numbers
    #: the evidence does not contain (see pipeline/generate.py ``grounded``).
    answer_grounding_check: bool = True
    #: Answer "not in your files" when the model gives its refusal at least this
    #: probability as the first token of its reply, even if it would go on to answer
    #: (0: off). Measured with the default 0.5B model over 190 dev questions: 29 of 72
    #: unanswerable ones reach 0.01, and 9 of 118 answerable ones, 3 of them otherwise answered
    #: right (docs/rag.md). Generators that cannot tell are not checked.
    answer_refusal_threshold: float = 0.01
    #: Check that each citation [n] supports the claim it ends and move it to the passage
    #: that clearly does (see pipeline/generate.py ``check_citations``).
    answer_citation_check: bool = True
    #: Augmenters to run (None: those their plugin marks default), by name.
    augmenters: tuple[str, ...] | None = None
    #: Rewrite follow-up questions with the LLM instead of the cheap condensation
    #: (off by default: it costs more than a second on a 2-core CPU; measured in rag.md).
    llm_query_rewrite: bool = False

    def with_overrides(self, **changes: Any) -> Config:
        return replace(self, **changes)

    @classmethod
    def load(cls, path: Path) -> Config:
        if not path.exists():
            return cls()
        raw = json.loads(path.read_text("utf-8"))
        known = {f.name for f in fields(cls)}
        values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in raw.items() if k in known}
        return cls(**values)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2, ensure_ascii=False), "utf-8")
