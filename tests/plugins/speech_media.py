"""Sound and video files made at test time: speech synthesised by espeak-ng (through
the TTS plugin), tones, silence, encoded by PyAV (FFmpeg) into real containers.
Shared by the audio, video and TTS tests and by benchmarks/speech.py."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw

from mmrag_audio.decode import SAMPLE_RATE, open_container, pcm_windows
from mmrag_tts import speak

_CODECS = {".mp3": "mp3", ".ogg": "libopus", ".flac": "flac", ".wav": "pcm_s16le", ".m4a": "aac"}


def read_pcm(path: Path) -> np.ndarray:
    with open_container(path) as container:
        return np.concatenate([w for _, w in pcm_windows(container)])


def spoken(text: str, language: str, tmp: Path, rate: int | None = 140) -> np.ndarray:
    """``text`` spoken by espeak-ng (a little slower than its default, which Whisper
    base hears better), as 16 kHz mono float32."""
    wav = speak(text, language, out=tmp / f"tts-{abs(hash((text, language)))}.wav",
                rate=rate if language == "en" else None)
    return read_pcm(wav)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32)


def tone(seconds: float, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def write_audio(path: Path, parts: Sequence[np.ndarray], tags: dict[str, str] | None = None) -> Path:
    """Encode the concatenated 16 kHz parts into ``path`` (codec from its extension)."""
    samples = np.concatenate(parts).astype(np.float32)
    with av.open(str(path), "w") as out:
        out.metadata.update(tags or {})
        codec = _CODECS[path.suffix.lower()]
        rate = 48_000 if codec == "libopus" else SAMPLE_RATE
        stream = out.add_stream(codec, rate=rate, layout="mono")
        _encode_audio(out, stream, samples, rate)
    return path


def _encode_audio(out: av.container.OutputContainer, stream: av.audio.stream.AudioStream, samples: np.ndarray,
                  rate: int) -> None:
    frame = av.AudioFrame.from_ndarray((np.clip(samples, -1, 1) * 32767).astype(np.int16).reshape(1, -1),
                                       format="s16", layout="mono")
    frame.sample_rate = SAMPLE_RATE
    resampler = av.AudioResampler(format=stream.codec_context.format.name, layout="mono", rate=rate)
    frame_size = stream.codec_context.frame_size or 1024
    # Encoders with a fixed frame size (AAC, MP3, Opus) take exactly that many samples.
    fifo = av.AudioFifo()
    for converted in resampler.resample(frame) + resampler.resample(None):
        converted.pts = None
        fifo.write(converted)
    while (chunk := fifo.read(frame_size)) is not None:
        out.mux(stream.encode(chunk))
    if fifo.samples:
        out.mux(stream.encode(fifo.read(fifo.samples)))
    out.mux(stream.encode(None))


def slide(text: str, color: tuple[int, int, int], size: tuple[int, int] = (320, 240)) -> Image.Image:
    image = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(image)
    draw.rectangle([20, 20, size[0] - 20, size[1] - 20], outline=(255, 255, 255), width=4)
    draw.text((40, size[1] // 2), text, fill=(255, 255, 255))
    return image


def write_video(path: Path, scenes: Sequence[tuple[Image.Image, float]], audio: np.ndarray | None = None,
                fps: int = 10) -> Path:
    """A video of still ``scenes`` (picture, seconds) with an optional 16 kHz soundtrack."""
    codec = "libvpx" if path.suffix.lower() == ".webm" else "mpeg4"
    with av.open(str(path), "w") as out:
        video = out.add_stream(codec, rate=fps)
        video.width, video.height = scenes[0][0].size
        video.pix_fmt = "yuv420p"
        sound = None
        if audio is not None:
            rate = 48_000 if codec == "libvpx" else SAMPLE_RATE
            sound = out.add_stream("libopus" if codec == "libvpx" else "aac", rate=rate, layout="mono")
        for picture, seconds in scenes:
            for _ in range(round(seconds * fps)):
                out.mux(video.encode(av.VideoFrame.from_image(picture)))
        out.mux(video.encode(None))
        if sound is not None and audio is not None:
            _encode_audio(out, sound, audio, sound.codec_context.sample_rate)
    return path
