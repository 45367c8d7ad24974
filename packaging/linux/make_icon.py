"""Draw mmrag-desktop.png (256 px) with Pillow, the same picture as mmrag-desktop.svg
(so no SVG renderer is needed to build). Run: .venv/bin/python packaging/linux/make_icon.py"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

NAVY, AMBER, TEAL, PAPER, WHITE = "#1f3a5f", "#f2a541", "#4cb5ae", "#f4f1ea", "#ffffff"


def draw(size: int = 256) -> Image.Image:
    scale = 4  # draw large, then downsample: smooth edges without an antialiasing API
    s = size * scale / 256
    image = Image.new("RGBA", (size * scale, size * scale), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)

    def box(x: float, y: float, w: float, h: float) -> list[float]:
        return [x * s, y * s, (x + w) * s, (y + h) * s]

    pen.rounded_rectangle(box(8, 8, 240, 240), radius=52 * s, fill=NAVY)
    card = Image.new("RGBA", image.size, (0, 0, 0, 0))
    ImageDraw.Draw(card).rounded_rectangle(box(52, 44, 120, 92), radius=12 * s, fill=AMBER)
    image.alpha_composite(card.rotate(10, center=(112 * s, 90 * s)))
    pen.rounded_rectangle(box(60, 62, 120, 92), radius=12 * s, fill=TEAL)
    pen.rounded_rectangle(box(68, 82, 120, 92), radius=12 * s, fill=PAPER)
    for y, w in ((102, 72), (120, 88), (138, 56)):
        pen.rounded_rectangle(box(84, y, w, 9), radius=4 * s, fill=NAVY)
    pen.ellipse(box(122, 122, 76, 76), outline=WHITE, width=int(16 * s))
    pen.line([188 * s, 188 * s, 222 * s, 222 * s], fill=WHITE, width=int(20 * s))
    pen.ellipse(box(212, 212, 20, 20), fill=WHITE)  # round cap
    return image.resize((size, size), Image.Resampling.LANCZOS)


if __name__ == "__main__":
    target = Path(__file__).resolve().parent / "mmrag-desktop.png"
    draw().save(target)
    print(target)
