"""One llama.cpp model kept loaded: chat template from the GGUF, greedy streaming with
cancel between tokens, and the fixed system prompt kept in the KV cache.

llama-cpp-python reuses the longest common token prefix of consecutive prompts, so a
system prompt evaluated once at load (:meth:`LlamaEngine.prime`) is not processed again
for each question: only the evidence and the question are.
"""

from __future__ import annotations

import codecs
import os
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from mmrag_desktop.errors import MMRagError


class LlamaEngine:
    def __init__(self, path: Path, *, n_ctx: int = 2048, threads: int = 0, gpu_layers: int = -1) -> None:
        # ggml's OpenMP workers spin while waiting by default; when another program (or
        # the indexer) uses a core that turns into a 20x slowdown: measured here, with
        # the machine shared, 146 prompt tokens took 17.9 s spinning and 0.76 s passive.
        # libgomp reads this when it loads, i.e. at the import just below (the e5
        # encoder sets the same, whichever loads first).
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import llama_cpp
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        self.path = path
        self.threads = threads or os.cpu_count() or 1
        self.gpu = bool(llama_cpp.llama_supports_gpu_offload())
        try:
            self.llm = llama_cpp.Llama(
                model_path=str(path), n_ctx=n_ctx, n_threads=self.threads, n_threads_batch=self.threads,
                n_gpu_layers=gpu_layers if self.gpu else 0, verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise MMRagError(f"llama.cpp cannot load the language model {path} ({exc}); the file may be "
                             "truncated or corrupt.") from None
        self._vocab = self.llm._model.vocab
        self._is_eog = llama_cpp.llama_vocab_is_eog
        template = self.llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise MMRagError(f"The language model {path} has no chat template in its metadata; "
                             "use an instruction-tuned (chat) GGUF.")
        eos = self.llm._model.token_get_text(self.llm.token_eos()) if self.llm.token_eos() != -1 else ""
        bos = self.llm._model.token_get_text(self.llm.token_bos()) if self.llm.token_bos() != -1 else ""
        self._format = Jinja2ChatFormatter(template, eos, bos)
        self._format_prefix = Jinja2ChatFormatter(template, eos, bos, add_generation_prompt=False)
        self.n_ctx = n_ctx
        self._lock = threading.Lock()
        self.primed: str | None = None
        self._scored: tuple[list[int], int] | None = None  # prompt and its cached part, after scoring
        #: Statistics of the last call (prompt tokens, tokens reused from the cache,
        #: seconds to the first token, generated tokens, seconds generating).
        self.last: dict[str, float] = {}

    def tokens(self, messages: Sequence[dict[str, str]]) -> list[int]:
        prompt = self._format(messages=list(messages)).prompt
        return self.llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)

    def count(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def prime(self, prefix: Sequence[dict[str, str]]) -> None:
        """Evaluate the fixed start of every prompt (system prompt, worked examples) once,
        so later prompts that start with it only process what follows."""
        key = repr(list(prefix))
        if self.primed == key:
            return
        prompt = self._format_prefix(messages=list(prefix)).prompt
        tokens = self.llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        with self._lock:
            self.llm.reset()
            self.llm.eval(tokens)
            self.primed = key
            self._scored = None

    def _fitting_tokens(self, messages: Sequence[dict[str, str]]) -> list[int]:
        tokens = self.tokens(messages)
        if self.n_ctx - len(tokens) < 16:
            raise MMRagError(f"The question and its evidence ({len(tokens)} tokens) do not fit the model's "
                             f"context of {self.n_ctx} tokens; lower evidence_tokens.")
        return tokens

    def first_token_probability(self, messages: Sequence[dict[str, str]], text: str) -> float | None:
        """Probability that the reply to ``messages`` starts with the first token of
        ``text``; None when that token is less than ``text``'s first word (with a
        vocabulary that splits "NOT" into "N" + "OT" it would count every reply starting
        with "N"). Evaluates the prompt (what is not cached yet) and leaves it in the KV
        cache with its logits live, so :meth:`stream` of the same messages samples at
        once instead of processing the prompt again."""
        import numpy as np

        first = self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)[0]
        if self.llm.detokenize([first]).decode("utf-8", "replace").strip() != text.split()[0]:
            return None
        tokens = self._fitting_tokens(messages)
        with self._lock:
            cached = _common_prefix(self.llm._input_ids[: self.llm.n_tokens].tolist(), tokens)
            # Always evaluate at least the last token: its logits are what is read.
            self.llm.n_tokens = min(cached, len(tokens) - 1)
            self.llm.eval(tokens[self.llm.n_tokens:])
            logits = np.ctypeslib.as_array(self.llm._ctx.get_logits(), shape=(self.llm.n_vocab(),))
            logits = logits.astype(np.float64) - float(logits.max())
            probability = float(np.exp(logits[first]) / np.exp(logits).sum())
            self._scored = (tokens, cached)
        return probability

    def stream(self, messages: Sequence[dict[str, str]], *, max_tokens: int = 256,
               cancel: threading.Event | None = None) -> Iterator[str]:
        tokens = self._fitting_tokens(messages)
        max_tokens = min(max_tokens, self.n_ctx - len(tokens))
        with self._lock:
            cached = _common_prefix(self.llm._input_ids[: self.llm.n_tokens].tolist(), tokens)
            if self._scored is not None and self._scored[0] == tokens:
                # Scored just before (first_token_probability): the prompt is in the
                # cache because of that call; count what it processed as new.
                cached = self._scored[1]
            self._scored = None
            self.last = {"prompt_tokens": len(tokens), "cached_tokens": cached}
            if cancel is not None and cancel.is_set():
                return
            decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
            start = time.perf_counter()
            generated = 0
            first = None
            for token in self.llm.generate(tokens, temp=0.0, top_k=1, repeat_penalty=1.1):
                if first is None:
                    first = time.perf_counter()
                    self.last["first_token_s"] = first - start
                if (cancel is not None and cancel.is_set()) or self._is_eog(self._vocab, token):
                    break
                generated += 1
                piece = decoder.decode(self.llm.detokenize([token]))
                if piece:
                    yield piece
                if generated >= max_tokens:
                    break
            tail = decoder.decode(b"", final=True)
            if tail:
                yield tail
            self.last["generated_tokens"] = generated
            self.last["generate_s"] = time.perf_counter() - (first or start)


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


_ENGINE: dict[str, Any] = {"key": None, "engine": None}
_ENGINE_LOCK = threading.Lock()


def shared_engine(path: Path, *, n_ctx: int, threads: int, gpu_layers: int) -> LlamaEngine:
    """The process-wide engine for these settings: loaded once and kept warm; a
    different model replaces it (one model in memory at a time)."""
    key = (str(path), n_ctx, threads, gpu_layers)
    with _ENGINE_LOCK:
        if _ENGINE["key"] != key:
            _ENGINE["engine"] = None  # free the old model before loading the new one
            _ENGINE["engine"] = LlamaEngine(path, n_ctx=n_ctx, threads=threads, gpu_layers=gpu_layers)
            _ENGINE["key"] = key
        return _ENGINE["engine"]


def loaded_engine() -> LlamaEngine | None:
    return _ENGINE["engine"]
