"""Speech → timed transcript: Silero VAD finds the speech, Whisper (faster-whisper on
CTranslate2, int8 on CPU) transcribes each stretch of it.

Why VAD first: Whisper's encoder always reads 30 s of audio, so the speech of a window
is cut out and packed end to end (faster-whisper's ``collect_chunks``) before
transcription: silence and music cost nothing, and a recording of short sentences costs
one encoder pass per 30 s of *speech* rather than one per sentence (measured 2.5× →
see benchmarks/results/speech.md). Whisper's segment times are mapped back to the
original timeline (``restore_speech_timestamps``) word by word. Words closer than
:data:`JOIN_GAP_S` form one segment of at most :data:`MAX_SEGMENT_S` (a few sentences:
enough context to be found by a paraphrase), whose ends are snapped to the VAD region.

Language: chosen per window of audio (≤ 2 minutes, see :func:`.decode.pcm_windows`)
among the *candidate* languages (:func:`candidate_languages`: the library's
``content_languages`` setting or ``MMRAG_ASR_LANGUAGES``, by default the system locale's
language plus English and Chinese) from Whisper's probabilities over all 99 languages,
instead of trusting its overall top guess: Whisper base hears espeak-ng's Mandarin as
Thai more often than as Chinese, yet usually more likely Chinese than English
(benchmarks/results/speech.md). ``MMRAG_ASR_LANGUAGE`` (e.g. ``zh``) forces one language.
Chinese is transcribed with a short simplified-Chinese prompt, which keeps Whisper from
writing traditional characters for Mandarin speech.
"""

from __future__ import annotations

import locale
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .decode import SAMPLE_RATE
from .modelfiles import WHISPER_MODEL, vad_model_path, whisper_dir

#: Speech regions separated by less than this are one segment.
JOIN_GAP_S = 1.0
#: Longest segment handed to Whisper in one call (its window is 30 s).
MAX_SEGMENT_S = 28.0
#: Prompts that steer the script Whisper writes for a language.
PROMPTS = {"zh": "以下是普通话的句子。"}
#: Whisper decoding options (faster-whisper ``transcribe`` arguments): greedy, one
#: temperature, unless a language's entry in :data:`LANGUAGE_DECODING` says otherwise.
DECODING: dict[str, Any] = {"beam_size": 1, "temperature": 0.0}
#: Chinese: Whisper base loops on hard Mandarin ("上午四天上午四天…" for a whole 30 s
#: window); forbidding a repeated 3-token sequence cuts the loop short. Chosen on the
#: tune part of benchmarks/speech_tune.py: held-out CER 0.72 → 0.67, bigram recall
#: 0.195 → 0.218, English untouched (benchmarks/results/speech-tune.md). Beam 5 and
#: temperature fallback cost 1.5-3× the time for less. The price: a phrase genuinely
#: said twice in one segment is written once.
LANGUAGE_DECODING: dict[str, dict[str, Any]] = {"zh": {"no_repeat_ngram_size": 3}}


def decoding_options(language: str | None, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``transcribe`` options for ``language``: defaults, the language's own, then
    ``overrides`` (benchmarks try settings this way)."""
    options = {**DECODING, "initial_prompt": PROMPTS.get(language or ""), **LANGUAGE_DECODING.get(language or "", {})}
    return {**options, **(overrides or {})}


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    language: str
    language_probability: float


def asr_threads() -> int:
    """CPU threads for Whisper: ``MMRAG_ASR_THREADS``, else up to 4 of the machine's cores."""
    env = os.environ.get("MMRAG_ASR_THREADS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, min(4, os.cpu_count() or 1))


def forced_language() -> str | None:
    value = (os.environ.get("MMRAG_ASR_LANGUAGE") or "").strip().lower()
    return value if value and value != "auto" else None


#: Always candidates unless the user lists their own: the two languages this product
#: promises (and the most common pair in mixed recordings).
DEFAULT_LANGUAGES = ("en", "zh")
#: A window with less speech than this keeps the language of the window before it: a
#: second of speech is too little to tell languages apart.
MIN_DETECT_SPEECH_S = 4.0


def locale_language() -> str | None:
    """The user's language from the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``, as
    POSIX orders them, then the platform's locale): ``de_DE.UTF-8`` → ``de``; None for
    ``C``/``POSIX``."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            break
    else:
        try:
            value = locale.getlocale()[0] or ""
        except ValueError:
            value = ""
    match = re.match(r"([a-z]{2,3})(?:[_.@-]|$)", value.strip().lower())
    return match.group(1) if match and value.upper() not in ("C", "POSIX") else None


def candidate_languages(configured: Sequence[str] = ()) -> tuple[str, ...]:
    """The languages speech is expected in, in order of preference.

    ``MMRAG_ASR_LANGUAGES`` (comma or space separated) wins over ``configured`` (the
    library's ``content_languages``); with neither, the locale's language plus
    :data:`DEFAULT_LANGUAGES`. ``auto`` (or ``all``) lifts the restriction: ``()``.
    Codes Whisper does not know are dropped.
    """
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    env = os.environ.get("MMRAG_ASR_LANGUAGES")
    chosen = re.split(r"[\s,;]+", env.strip().lower()) if env and env.strip() else [c.lower() for c in configured]
    if not chosen:
        chosen = [c for c in (locale_language(), *DEFAULT_LANGUAGES) if c]
    if any(c in ("auto", "all", "*") for c in chosen):
        return ()
    return tuple(dict.fromkeys(c for c in chosen if c in _LANGUAGE_CODES))


def rank_languages(probabilities: Iterable[tuple[str, float]], candidates: Sequence[str]) -> list[tuple[str, float]]:
    """The ``candidates`` (all languages when empty), most probable first, each with its
    probability renormalised over the candidates (how sure Whisper is of it *against
    the other candidates*)."""
    allowed = [(lang, p) for lang, p in probabilities if not candidates or lang in candidates]
    total = sum(p for _lang, p in allowed)
    if not allowed or total <= 0:
        return [(candidates[0] if candidates else "en", 0.0)]
    return sorted(((lang, p / total) for lang, p in allowed), key=lambda pair: pair[1], reverse=True)


def pick_language(probabilities: Iterable[tuple[str, float]], candidates: Sequence[str]) -> tuple[str, float]:
    """The most probable of the ``candidates`` (see :func:`rank_languages`)."""
    return rank_languages(probabilities, candidates)[0]


_MODELS: dict[tuple[str, int], Any] = {}
_MODELS_LOCK = threading.Lock()
# CTranslate2 runs one transcription at a time per model here: two concurrent calls
# on 2 cores only thrash.
_CALL_LOCK = threading.Lock()


def whisper(model_id: str = WHISPER_MODEL) -> Any:
    """The loaded Whisper model, kept for the life of the process."""
    threads = asr_threads()
    with _MODELS_LOCK:
        model = _MODELS.get((model_id, threads))
        if model is None:
            from faster_whisper import WhisperModel

            model = WhisperModel(str(whisper_dir(model_id)), device="cpu", compute_type="int8",
                                 cpu_threads=threads, num_workers=1)
            _MODELS[(model_id, threads)] = model
        return model


def speech_regions(audio: np.ndarray, *, pad_ms: int = 200) -> list[tuple[int, int]]:
    """``(start, end)`` sample ranges of speech in 16 kHz audio."""
    if audio.size < SAMPLE_RATE // 10:
        return []
    vad_model_path()  # verified against the catalog before the VAD runs
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(min_silence_duration_ms=500, speech_pad_ms=pad_ms, min_speech_duration_ms=250,
                         max_speech_duration_s=MAX_SEGMENT_S)
    return [(int(s["start"]), int(s["end"])) for s in get_speech_timestamps(audio, options)]


def join_regions(regions: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    joined: list[tuple[int, int]] = []
    for start, end in regions:
        if joined:
            first, last = joined[-1]
            if start - last <= JOIN_GAP_S * SAMPLE_RATE and end - first <= MAX_SEGMENT_S * SAMPLE_RATE:
                joined[-1] = (first, end)
                continue
        joined.append((start, end))
    return joined


class Transcriber:
    """Turns a stream of audio windows into timed segments; one per file.

    ``language`` forces one language; otherwise each window's language is picked among
    ``languages`` (see :func:`candidate_languages`).
    """

    def __init__(self, language: str | None = None, model_id: str = WHISPER_MODEL,
                 languages: Sequence[str] = (), *, decoding: Mapping[str, Any] | None = None,
                 vad_pad_ms: int = 200) -> None:
        self.decoding = decoding
        self.vad_pad_ms = vad_pad_ms
        self.candidates = candidate_languages(languages)
        self.forced = language or forced_language() or (self.candidates[0] if len(self.candidates) == 1 else None)
        self.language = self.forced
        self.probability = 1.0 if self.language else 0.0
        self.model_id = model_id

    def _detect(self, model: Any, speech: np.ndarray) -> None:
        """Set the language of this stretch of speech (packed, VAD-cut)."""
        if self.language is not None and (self.forced or speech.size < MIN_DETECT_SPEECH_S * SAMPLE_RATE):
            return
        _top, _p, probabilities = model.detect_language(speech[: 30 * SAMPLE_RATE])
        self.language, self.probability = pick_language(probabilities, self.candidates)

    def transcribe(self, audio: np.ndarray, offset: float = 0.0,
                   regions: list[tuple[int, int]] | None = None) -> list[Segment]:
        """Transcribe the speech ``regions`` (sample ranges; all of ``audio`` when None)
        of a stretch of audio that starts at ``offset`` seconds."""
        from faster_whisper.transcribe import restore_speech_timestamps
        from faster_whisper.vad import collect_chunks

        if regions is None:
            regions = [(0, audio.size)]
        chunks = [{"start": start, "end": end} for start, end in regions]
        (speech,), _meta = collect_chunks(audio, chunks, SAMPLE_RATE)
        if speech.size < SAMPLE_RATE // 10:
            return []
        model = whisper(self.model_id)
        with _CALL_LOCK:
            self._detect(model, speech)
            parts, _info = model.transcribe(speech, language=self.language, vad_filter=False,
                                            condition_on_previous_text=False, word_timestamps=True,
                                            **decoding_options(self.language, self.decoding))
            # Word times: Whisper happily writes one segment across two sentences that
            # a long pause separated (adjacent once packed); the words say where to cut.
            words = [(w.start, w.end, w.word) for part in restore_speech_timestamps(parts, chunks, SAMPLE_RATE)
                     for w in (part.words or [])]
        segments: list[Segment] = []
        current: list[tuple[float, float, str]] = []
        for word in [*words, None]:
            if word is not None and (not current or (word[0] - current[-1][1] < JOIN_GAP_S
                                                     and word[1] - current[0][0] <= MAX_SEGMENT_S)):
                current.append(word)
                continue
            text = _drop_echoed_prompt("".join(w[2] for w in current), self.language)
            if text:
                start, end = _snap(current[0][0], current[-1][1], regions)
                segments.append(Segment(round(offset + start, 2), round(offset + end, 2), text, self.language,
                                        round(self.probability, 3)))
            current = [word] if word is not None else []
        return segments

    def segments(self, windows: Iterable[tuple[float, np.ndarray]],
                 cancelled: Callable[[], bool] = lambda: False) -> Iterator[Segment]:
        """Timed segments of the speech in consecutive ``(start s, samples)`` windows.

        Speech still running at a window's end is carried into the next window, so a
        sentence is not cut in two where the decoder happened to split the audio.
        """
        carry = np.zeros(0, dtype=np.float32)
        carry_start = 0.0
        for start, samples in _with_last(windows):
            if cancelled():
                return
            window_start = carry_start if carry.size else start[0]
            audio = np.concatenate([carry, samples]) if carry.size else samples
            regions = join_regions(speech_regions(audio, pad_ms=self.vad_pad_ms))
            carry = np.zeros(0, dtype=np.float32)
            if regions and not start[1]:
                first, last = regions[-1]
                if audio.size - last < JOIN_GAP_S * SAMPLE_RATE and last - first < MAX_SEGMENT_S * SAMPLE_RATE:
                    regions.pop()
                    carry, carry_start = audio[first:], window_start + first / SAMPLE_RATE
            if regions and not cancelled():
                yield from self.transcribe(audio, window_start, regions)


def _with_last(windows: Iterable[tuple[float, np.ndarray]]) -> Iterator[tuple[tuple[float, bool], np.ndarray]]:
    """The windows, each with a flag saying whether it is the last one."""
    iterator = iter(windows)
    try:
        current = next(iterator)
    except StopIteration:
        return
    for following in iterator:
        yield (current[0], False), current[1]
        current = following
    yield (current[0], True), current[1]


def _snap(start: float, end: float, regions: list[tuple[int, int]]) -> tuple[float, float]:
    """Whisper's times (seconds) clamped to the VAD region they fall in: the VAD knows
    where speech starts and ends better than the decoder's 20 ms timestamp tokens after
    the packed audio was mapped back."""
    middle = (start + end) / 2 * SAMPLE_RATE
    for first, last in regions:
        if first <= middle <= last:
            return max(start, first / SAMPLE_RATE), min(end, last / SAMPLE_RATE)
    return start, end


def _drop_echoed_prompt(text: str, language: str | None) -> str:
    # On near-silence, or after speech it cannot make out, Whisper sometimes repeats its
    # prompt ("…, 以下是普通话的句子。"): that is never what was said.
    prompt = PROMPTS.get(language or "")
    if prompt:
        text = text.replace(prompt, "")
        if text.strip(" 。，,.") == "":
            return ""
    return text.strip()
