"""The searchable text of a 3D model: what it is called, what it is made of, how big."""

from __future__ import annotations

import re
from pathlib import Path

from .model import Model

#: Names listed in the text; the rest are counted (a CAD assembly can have thousands).
MAX_NAMES = 40
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+|[^\W\d_]+")
_UNITS = {"meters": "m", "meter": "m", "millimeters": "mm", "millimeter": "mm", "centimeters": "cm",
          "centimeter": "cm", "inches": "in", "inch": "in", "feet": "ft", "foot": "ft"}


def words(name: str) -> list[str]:
    """``ChairLeg_02.obj`` → ``["Chair", "Leg", "02", "obj"]``: names split the way a
    person would type them, so full-text search finds "chair leg"."""
    return _WORD.findall(name)


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_NAMES])
    return shown + (f" and {len(names) - MAX_NAMES} more" if len(names) > MAX_NAMES else "")


def _number(value: float) -> str:
    return f"{value:.3g}"


def title(path: Path) -> str:
    return " ".join(words(path.stem)) or path.stem


def metadata_text(path: Path, model: Model) -> str:
    fmt = path.suffix.lstrip(".").upper()
    lines = [f"3D model {title(path)} ({fmt} file {path.name})"]
    # trimesh names a single-mesh file's geometry after the file: already in the title.
    names = [n for n in model.names if n.lower() not in (path.name.lower(), path.stem.lower())]
    if names:
        lines.append(f"Objects: {_listing(names)}")
        split = {w.lower() for name in names for w in words(name)} - {n.lower() for n in names}
        if split:
            lines.append("Words: " + " ".join(sorted(split)[:MAX_NAMES]))
    if model.materials:
        lines.append(f"Materials: {_listing(model.materials)}")
    if model.size is not None:
        unit = _UNITS.get((model.units or "").lower(), model.units or "")
        if not unit and fmt in ("GLB", "GLTF"):
            unit = "m"  # glTF is metres by specification
        size = " × ".join(_number(v) for v in model.size)
        lines.append(f"Size: {size} {unit}".rstrip() + " (bounding box)" + ("" if unit else ", units not given"))
    if model.faces:
        lines.append(f"Mesh: {model.vertices:,} vertices, {model.faces:,} faces" +
                     (f" in {model.geometries} parts" if model.geometries > 1 else ""))
    if model.points:
        lines.append(f"Point cloud: {model.points:,} points")
    return "\n".join(lines)
