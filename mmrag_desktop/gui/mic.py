"""Push-to-talk: record while the microphone button is held, hand over a WAV file.

Uses sounddevice (PortAudio). Without it or without an input device the button is
disabled and its tooltip says why; nothing here knows what happens to the recording —
it becomes a file query like any dropped file.
"""

from __future__ import annotations

import tempfile
import threading
import time
import wave
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QToolButton, QWidget

from .sound_devices import device_problem

RATE = 16000
MAX_SECONDS = 30


def input_problem() -> str | None:
    """Why recording is impossible here, or None when it can work."""
    return device_problem("max_input_channels", "no microphone (audio input device) found")


class MicButton(QToolButton):
    recorded = Signal(str)  # path of a WAV file

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("micButton")
        from .style import icon

        self.setIcon(icon("mic"))
        self.setAutoRaise(True)
        problem = input_problem()
        if problem:
            self.setEnabled(False)
            self.setToolTip(self.tr("Spoken search is unavailable: %1").replace("%1", problem))
        else:
            self.setToolTip(self.tr("Hold to speak a query"))
        self.pressed.connect(self._start)
        self.released.connect(self._stop)
        self._frames: list[bytes] = []
        self._stream = None
        self._lock = threading.Lock()

    def _start(self) -> None:
        import sounddevice as sd

        self._frames = []

        def callback(data, _frames, _time, _status) -> None:  # type: ignore[no-untyped-def]
            with self._lock:
                if len(self._frames) * len(data) < RATE * MAX_SECONDS:
                    self._frames.append(bytes(data))

        self._stream = sd.RawInputStream(samplerate=RATE, channels=1, dtype="int16", callback=callback)
        self._stream.start()

    def _stop(self) -> None:
        if self._stream is None:
            return
        self._stream.stop()
        self._stream.close()
        self._stream = None
        with self._lock:
            audio = b"".join(self._frames)
        if len(audio) < RATE // 4:  # under 1/8 s: a click, not speech
            return
        target = Path(tempfile.gettempdir()) / f"mmrag-spoken-{time.strftime('%H%M%S')}.wav"
        with wave.open(str(target), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(RATE)
            out.writeframes(audio)
        self.recorded.emit(str(target))
