"""Recording a spoken query from the default microphone (for the GUI's voice query and
any front end): ``record(seconds)`` writes a 16 kHz mono WAV that
:func:`mmrag_audio.transcribe_query` then turns into query text.

PortAudio (through ``sounddevice``) does the recording; without an input device this
raises :class:`MMRagError` with a clear message instead of failing inside PortAudio.
"""

from __future__ import annotations

import tempfile
import wave
from pathlib import Path

from mmrag_desktop.errors import MMRagError

from .decode import SAMPLE_RATE

#: Longest recording accepted (a spoken question, not a meeting).
MAX_SECONDS = 60.0


def microphone_available() -> bool:
    """Whether PortAudio sees a default input device."""
    try:
        import sounddevice

        sounddevice.query_devices(kind="input")
    except Exception:  # no PortAudio library, no devices, or no default input
        return False
    return True


def record(seconds: float = 6.0, out: Path | str | None = None) -> Path:
    """Record ``seconds`` (≤ 60) from the default microphone into a WAV; returns its path."""
    if not 0 < seconds <= MAX_SECONDS:
        raise MMRagError(f"A voice query lasts between 0 and {MAX_SECONDS:g} seconds.")
    if not microphone_available():
        raise MMRagError("No microphone found: connect one (or check the sound settings) to ask by voice.")
    import sounddevice

    samples = sounddevice.rec(int(seconds * SAMPLE_RATE), samplerate=SAMPLE_RATE, channels=1, dtype="int16")
    sounddevice.wait()
    if out is None:
        with tempfile.NamedTemporaryFile(prefix="mmrag-voice-", suffix=".wav", delete=False) as handle:
            target = Path(handle.name)
    else:
        target = Path(out)
    with wave.open(str(target), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(samples.tobytes())
    return target
