"""Built-in plugin: spoken answers, the first generator whose output is not text.

:func:`speak` reads a text aloud with the local espeak-ng synthesizer (Debian package
``espeak-ng``; no model download, Chinese and English voices), writes a WAV and, when
asked and an output device exists, plays it with ``sounddevice``. The
:class:`SpokenAnswer` generator declares ``output_modality = "audio"``: given the text
answer another generator wrote (``text=...``), it yields the path of the WAV; the CLI's
``mmrag speak`` and ``mmrag ask --speak`` use it.

Voices: Chinese text uses espeak-ng's ``cmn-latn-pinyin`` voice (its plain ``cmn`` voice
reads the pinyin of each character with English letter sounds on Debian's build,
which neither people nor Whisper understand); other text uses ``en-us``. The language
is taken from the text itself unless given.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from mmrag_desktop import hookimpl
from mmrag_desktop.cjk import language as detect_language
from mmrag_desktop.errors import MMRagError
from mmrag_desktop.interfaces import Generator
from mmrag_desktop.records import ItemHit

MMRAG_HOOK_API = "1"

#: espeak-ng voice and speaking rate (words per minute) per language.
VOICES: dict[str, tuple[str, int]] = {"zh": ("cmn-latn-pinyin", 130), "en": ("en-us", 165)}
#: The longest text read aloud (about ten minutes of speech); longer text is cut.
MAX_CHARS = 8000
# Inline citations ("[1]", "[2, 3]") are for reading, not for listening.
_CITATION = re.compile(r"\s*\[\d+(?:\s*[,–-]\s*\d+)*\]")


def espeak_binary() -> str:
    found = shutil.which("espeak-ng")
    if found is None:
        raise MMRagError("Spoken answers need espeak-ng: install it (sudo apt install espeak-ng), "
                         "or run scripts/install.sh.")
    return found


def speak(text: str, language: str | None = None, *, out: Path | str | None = None, play: bool = False,
          rate: int | None = None) -> Path:
    """Read ``text`` aloud into a WAV file and return its path.

    ``language`` is ``zh`` or ``en`` (detected from the text when None); ``out`` is where
    the WAV goes (a new temporary file when None); ``play`` also plays it on the default
    output device when one exists (see :func:`play_wav`).
    """
    spoken = _CITATION.sub("", text).strip()[:MAX_CHARS]
    if not spoken:
        raise MMRagError("Nothing to read aloud: the text is empty.")
    language = (language or detect_language(spoken)).lower()
    voice, default_rate = VOICES.get(language, (language, VOICES["en"][1]))
    if out is None:
        with tempfile.NamedTemporaryFile(prefix="mmrag-answer-", suffix=".wav", delete=False) as handle:
            target = Path(handle.name)
    else:
        target = Path(out).expanduser()
        target.parent.mkdir(parents=True, exist_ok=True)
    # The text goes in on stdin: never parsed as options, no length limit of argv.
    command = [espeak_binary(), "-v", voice, "-s", str(rate or default_rate), "-w", str(target), "--stdin"]
    try:
        result = subprocess.run(command, input=spoken.encode("utf-8"), capture_output=True, timeout=300)
    except subprocess.TimeoutExpired:
        raise MMRagError("espeak-ng took too long to read the text aloud.") from None
    if result.returncode != 0 or not target.exists() or target.stat().st_size <= 44:
        detail = result.stderr.decode("utf-8", "replace").strip() or f"exit status {result.returncode}"
        raise MMRagError(f"espeak-ng could not read the text aloud with voice {voice!r}: {detail}")
    if play:
        play_wav(target)
    return target


def output_device_available() -> bool:
    """Whether ``sounddevice`` (PortAudio) sees a default output device."""
    try:
        import sounddevice

        sounddevice.query_devices(kind="output")
    except Exception:  # no PortAudio library, no devices, or no default output
        return False
    return True


def play_wav(path: Path | str) -> bool:
    """Play a WAV on the default output device and wait until it ends; False (and
    nothing played) when this machine has no output device."""
    if not output_device_available():
        return False
    import wave

    import numpy as np
    import sounddevice

    with wave.open(str(path), "rb") as wav:
        rate, channels = wav.getframerate(), wav.getnchannels()
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16).reshape(-1, channels)
    sounddevice.play(samples, rate)
    sounddevice.wait()
    return True


class SpokenAnswer(Generator):
    """Reads an answer aloud. ``generate(question, evidence, text=ANSWER, out=PATH,
    play=False, language=None)`` yields one chunk: the path of the WAV. Without
    ``text`` it reads the best evidence's snippet, introduced as such."""

    name = "spoken-answer"
    output_modality = "audio"

    def generate(self, question: str, evidence: Sequence[ItemHit], **options: Any) -> Iterator[str]:
        text = options.get("text")
        if not text:
            if not evidence:
                raise MMRagError("Nothing to read aloud: no answer and no evidence.")
            text = evidence[0].snippet or evidence[0].text
        yield str(speak(text, options.get("language"), out=options.get("out"), play=bool(options.get("play"))))


@hookimpl
def register_generators(register: Callable[[Generator], None]) -> None:
    register(SpokenAnswer())
