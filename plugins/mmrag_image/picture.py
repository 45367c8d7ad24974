"""Opening pictures safely: size limits, EXIF, orientation, thumbnails, perceptual hash.

Pillow decodes lazily, so the header's claimed size is checked before any pixel is
decoded: a "decompression bomb" (a small file that claims 10,000 x 10,000 pixels or
more) is refused with a clear reason instead of allocating gigabytes. JPEGs larger than
needed are decoded at a reduced scale straight from the DCT (``draft``), which is both
faster and smaller.
"""

from __future__ import annotations

import hashlib
import io
import math
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from mmrag_desktop.interfaces import ExtractionError

#: Largest picture decoded in full (pixels). JPEGs over it are decoded at reduced scale.
MAX_PIXELS = 40_000_000
#: Pictures are worked on at most this large (longest side): enough for OCR of a page.
WORK_SIDE = 2048
#: Labels, features and thumbnails need no more than this (JPEGs decode 4-8x faster).
FAST_SIDE = 1024
#: ... and no less than this on the short side (the detector's 512 x 512 input, the
#: thumbnail's 512): a 12-MP JPEG is then decoded at 1/4 scale (1000 x 750) instead of
#: 1/2, 13 instead of 40 CPU-ms.
LEAST_SIDE = 512
THUMB_SIDE = 512

try:  # HEIC/HEIF photos (iPhones). pillow-heif is a dependency; guarded all the same so a
    # platform without its wheel still reads every other format.
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF = True
except ImportError:
    HEIF = False


@dataclass
class Picture:
    image: Image.Image  # RGB, orientation applied, longest side <= WORK_SIDE
    width: int  # of the original
    height: int
    format: str
    frames: int = 1  # 2 means "animated" (more than one frame; not counted)
    exif: dict[str, Any] = field(default_factory=dict)


def open_picture(source: Path | bytes, work_side: int = WORK_SIDE, least_side: int = 0) -> Picture:
    """Decode a picture file (first frame of an animation) or raise ExtractionError.
    The result's longest side is at most ``work_side``. A large JPEG is decoded at the
    smallest DCT scale that keeps its longest side >= ``work_side`` or, when
    ``least_side`` is given and asks for less, its short side >= ``least_side``."""
    try:
        with warnings.catch_warnings():
            # The size is checked against MAX_PIXELS below; Pillow's own warning would
            # only print a traceback-like line in the middle of `mmrag index`.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
    except UnidentifiedImageError:
        raise ExtractionError("not an image Pillow can read, or the file is damaged") from None
    except Image.DecompressionBombError as exc:
        raise ExtractionError(f"image is too large to decode safely ({exc})") from None
    except OSError as exc:
        raise ExtractionError(f"cannot open the image: damaged or truncated ({exc})") from None
    with image:
        width, height = image.size
        fmt = image.format or "?"
        # is_animated looks for a second frame only; n_frames would parse every frame.
        frames = 2 if getattr(image, "is_animated", False) else 1
        if width <= 0 or height <= 0:
            raise ExtractionError("image has no pixels")
        if fmt == "JPEG" and max(width, height) > work_side:
            # DCT scaling to the smallest 1/2^n size that is still large enough.
            ratio = work_side / max(width, height)
            if least_side:
                ratio = min(ratio, least_side / min(width, height))
            image.draft("RGB", (max(1, math.ceil(width * ratio)), max(1, math.ceil(height * ratio))))
        elif width * height > MAX_PIXELS:
            raise ExtractionError(
                f"image is {width}x{height} pixels ({width * height / 1e6:.0f} megapixels), over the "
                f"{MAX_PIXELS / 1e6:.0f}-megapixel limit for decoding"
            )
        exif = _exif(image)
        try:
            image.seek(0)
            image.load()
            rgb = _to_rgb(ImageOps.exif_transpose(image))
        except Image.DecompressionBombError as exc:
            raise ExtractionError(f"image is too large to decode safely ({exc})") from None
        except (OSError, SyntaxError, ValueError) as exc:
            # Pillow's message for a cut-off or corrupt file ("image file is truncated", "broken data stream")
            raise ExtractionError(f"image data is damaged or truncated ({exc})") from None
    if max(rgb.size) > work_side:
        rgb.thumbnail((work_side, work_side), Image.BILINEAR, reducing_gap=2.0)
    return Picture(rgb, width, height, fmt, frames, exif)


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.float64)
        top = array.max() or 1.0
        return Image.fromarray((array * (255.0 / top)).astype(np.uint8)).convert("RGB")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (255, 255, 255))  # transparent parts read as white paper
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    return image.convert("RGB")


_DATE_TAGS = (36867, 36868, 306)  # DateTimeOriginal, DateTimeDigitized, DateTime


def _exif(image: Image.Image) -> dict[str, Any]:
    """Date taken, camera, GPS position (decimal degrees) where the file records them."""
    try:
        exif = image.getexif()
    except Exception:  # malformed EXIF must not lose the picture
        return {}
    out: dict[str, Any] = {}
    try:
        sub = exif.get_ifd(0x8769)
    except Exception:
        sub = {}
    for tag in _DATE_TAGS:
        value = sub.get(tag) or exif.get(tag)
        if isinstance(value, str):
            try:
                out["taken"] = datetime.strptime(value.strip("\x00 "), "%Y:%m:%d %H:%M:%S").isoformat()
                break
            except ValueError:
                continue
    camera = " ".join(str(exif.get(t, "")).strip("\x00 ") for t in (271, 272)).strip()
    if camera:
        out["camera"] = camera
    try:
        gps = exif.get_ifd(0x8825)
        lat, lon = _degrees(gps.get(2), gps.get(1)), _degrees(gps.get(4), gps.get(3))
        if lat is not None and lon is not None and abs(lat) <= 90 and abs(lon) <= 180:
            out["lat"], out["lon"] = round(lat, 6), round(lon, 6)
    except Exception:
        pass
    return out


def _degrees(value: Any, ref: Any) -> float | None:
    if not value or len(value) != 3:
        return None
    d, m, s = (float(v) for v in value)
    sign = -1.0 if str(ref).upper().startswith(("S", "W")) else 1.0
    return sign * (d + m / 60 + s / 3600)


def write_thumbnail(image: Image.Image, media_dir: Path | None, key: str) -> str | None:
    """Save a JPEG rendition (longest side <= 512) named by ``key``; returns its path."""
    if media_dir is None:
        return None
    target = media_dir / key[:2] / f"{key}.jpg"
    if not target.exists():
        thumb = image.copy()
        thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.BILINEAR, reducing_gap=2.0)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        thumb.save(partial, "JPEG", quality=85)
        partial.replace(target)
    return str(target)


def content_key(data: bytes, locator: str = "") -> str:
    return hashlib.blake2b(data + locator.encode(), digest_size=16).hexdigest()


def phash(image: Image.Image) -> str:
    """64-bit DCT perceptual hash (as in pHash / imagehash): near-identical pictures
    (resized, recompressed, lightly edited) differ in a few bits."""
    small = np.asarray(image.convert("L").resize((32, 32), Image.BILINEAR), dtype=np.float64)
    n = 32
    k = np.arange(n)
    basis = np.cos(np.pi * (2 * k[None, :] + 1) * k[:, None] / (2 * n))
    dct = basis @ small @ basis.T
    low = dct[:8, :8].flatten()
    bits = low > np.median(low[1:])
    return f"{int(''.join('1' if b else '0' for b in bits), 2):016x}"


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()
