"""Answer generation with llama.cpp (GGUF chat models, via llama-cpp-python).

Registers the ``llama`` text generator and an optional LLM query rewriter. The model is
chosen by the ``llm_model`` setting (a catalog id, a GGUF path, or "auto": see
:func:`choose_model`), loaded on the first
question and kept warm for the process; the fixed system prompt is evaluated once and
stays in the KV cache. ``n_gpu_layers`` offload applies only when the installed
llama-cpp-python was built with CUDA/Metal; the default build is CPU-only.
"""

from __future__ import annotations

import importlib.util
import os
import re
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from mmrag_desktop import hookimpl
from mmrag_desktop.errors import MMRagError
from mmrag_desktop.interfaces import Generator, QueryTransform
from mmrag_desktop.records import ItemHit, Query

from .engine import LlamaEngine, loaded_engine, shared_engine
from .gguf import resolve

#: The default model, and the larger one "auto" takes where a GPU makes it fast.
DEFAULT_MODEL = "qwen2.5-coder-0.5b-instruct-q4_k_m"
LARGER_MODEL = "qwen2.5-coder-1.5b-instruct-q4_k_m"


def choose_model(setting: str) -> str:
    """The model the ``llm_model`` setting means: itself, or for "auto" the larger model
    when llama.cpp can offload to a GPU and the model is installed or can be assembled
    offline, else the default. On a 2-core CPU the larger one answers better (held-out
    answer accuracy 0.73 against 0.27) but takes 5 s to the first token; with a GPU both
    take under 0.1 s (benchmarks/results/llama_gpu*.md), so there it is the better one."""
    if setting != "auto":
        return setting
    try:
        import llama_cpp

        from mmrag_desktop import models
        from mmrag_desktop.models.manager import model_state

        if llama_cpp.llama_supports_gpu_offload() and model_state(models.entry(LARGER_MODEL)) in (
                "installed", "available"):
            return LARGER_MODEL
    except Exception:  # no llama.cpp, or no catalog entry: the default says what is wrong
        pass
    return DEFAULT_MODEL


class LlamaGenerator(Generator):
    name = "llama"
    output_modality = "text"

    def __init__(self) -> None:
        self.setting = DEFAULT_MODEL  # llm_model as configured
        self._model: str | None = None
        self.n_ctx = 2048
        self.threads = 0
        self.gpu_layers = -1
        self.max_tokens = 200
        self.rewrite = False
        self._unloadable: str | None = None  # the model that failed to load when budgeting

    @property
    def model(self) -> str:
        """The model in use: the setting, with "auto" chosen on first use (that imports
        llama.cpp, which opening a library for a search should not pay for)."""
        if self._model is None:
            self._model = choose_model(self.setting)
        return self._model

    @model.setter
    def model(self, value: str) -> None:
        self.setting, self._model = value, None

    def configure(self, config: Any) -> None:
        self.model = config.llm_model
        self.n_ctx = config.llm_context_tokens
        self.threads = config.threads
        self.gpu_layers = config.llm_gpu_layers
        self.max_tokens = config.answer_max_tokens
        self.rewrite = config.llm_query_rewrite

    def engine(self) -> LlamaEngine:
        from mmrag_desktop.pipeline.generate import prefix_messages

        engine = shared_engine(resolve(self.model), n_ctx=self.n_ctx, threads=self.threads,
                               gpu_layers=self.gpu_layers)
        engine.prime(prefix_messages())
        self._unloadable = None
        return engine

    def chat(self, messages: Sequence[dict[str, str]], *, max_tokens: int = 256,
             cancel: threading.Event | None = None) -> Iterator[str]:
        yield from self.engine().stream(messages, max_tokens=max_tokens, cancel=cancel)

    def generate(self, question: str, evidence: Sequence[ItemHit], **options: Any) -> Iterator[str]:
        from mmrag_desktop.pipeline.generate import build_messages

        yield from self.chat(build_messages(question, evidence), max_tokens=options.get("max_tokens", self.max_tokens),
                             cancel=options.get("cancel"))

    def start_probability(self, messages: Sequence[dict[str, str]], text: str) -> float | None:
        return self.engine().first_token_probability(messages, text)

    def count_tokens(self, text: str) -> int:
        # Evidence is budgeted just before the answer is generated, so loading the model
        # here costs nothing extra and the first question of a process is budgeted in
        # the model's own tokens too (the chunker's estimate ran ~20% high). Once loaded,
        # the engine is used as is: this runs for every candidate sentence, and looking
        # the model up again (resolve) costs ~30 ms.
        engine = loaded_engine()
        if engine is None and self._unloadable != self.model:
            try:
                engine = self.engine()
            except MMRagError:
                self._unloadable = self.model  # generation says what is wrong; don't retry per sentence
        return engine.count(text) if engine is not None else super().count_tokens(text)

    def runtime(self) -> str:
        import llama_cpp

        info = llama_cpp.llama_print_system_info().decode("utf-8", "replace")
        features = [name for name, on in re.findall(r"(\w+) = (\d+)", info)
                    if on == "1" and name not in ("LLAMAFILE", "OPENMP", "REPACK")]
        offload = (f"GPU offload (llm_gpu_layers {self.gpu_layers})" if llama_cpp.llama_supports_gpu_offload()
                   else "CPU only (MMRAG_LLAMA_BUILD=cuda builds GPU offload)")
        threads = self.threads or os.cpu_count() or 1
        return (f"{self.model} on llama.cpp (llama-cpp-python {llama_cpp.__version__}): {offload}; "
                f"{threads} CPU threads, {' '.join(features) or 'no SIMD'}")

    def stats(self) -> dict[str, float]:
        engine = loaded_engine()
        return dict(engine.last) if engine is not None else {}


REWRITE_PROMPT = (
    "Rewrite the user's last question as one standalone search query, using the conversation for context. "
    "Reply with the query only, in the language of the question."
)


class LLMRewrite(QueryTransform):
    """Rewrites a follow-up into a standalone query with the generator's model. Runs only
    when the ``llm_query_rewrite`` setting is on (off by default: measured at more than a
    second per question on a 2-core CPU)."""

    name = "llm-rewrite"
    priority = 20

    def __init__(self, generator: LlamaGenerator) -> None:
        self.generator = generator

    def transform(self, query: Query) -> Query:
        if not self.generator.rewrite or not query.history or query.modality != "text":
            return query
        question = query.original or query.text or ""
        lines = [f"{role}: {text[:300]}" for role, text in query.history[-4:]]
        prompt = "Conversation:\n" + "\n".join(lines) + f"\n\nFollow-up question: {question}\nStandalone query:"
        messages = [{"role": "system", "content": REWRITE_PROMPT}, {"role": "user", "content": prompt}]
        rewritten = "".join(self.generator.chat(messages, max_tokens=40)).strip().splitlines()
        if not rewritten or not rewritten[0].strip():
            return query
        return Query(text=rewritten[0].strip(), modality=query.modality, path=query.path, original=question,
                     history=query.history)


_GENERATOR = LlamaGenerator()
_REWRITE = LLMRewrite(_GENERATOR)


@hookimpl
def register_generators(register):  # type: ignore[no-untyped-def]
    # Without llama-cpp-python (it compiles; see scripts/install.sh) nothing is
    # registered, and `mmrag ask` says how to install it.
    if importlib.util.find_spec("llama_cpp") is not None:
        register(_GENERATOR)


@hookimpl
def register_query_transforms(register):  # type: ignore[no-untyped-def]
    if importlib.util.find_spec("llama_cpp") is not None:
        register(_REWRITE)
