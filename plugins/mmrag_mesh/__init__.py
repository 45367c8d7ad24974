"""Built-in plugin: 3D models (OBJ, STL, PLY, GLB/glTF, OFF) through trimesh.

A model becomes
* one ``metadata`` text item: file-name words, object/mesh/node and material names,
  bounding-box size and units, vertex/face (or point) counts — so "chair leg walnut"
  finds ``ChairLeg.glb``;
* a few ``view`` items of modality ``image``: the model rendered from canonical angles by
  a small numpy renderer (:mod:`mmrag_mesh.render`; no GPU, no OpenGL), saved as PNG
  under the library's media folder (``meta["image"]``), so the image pipeline can embed
  what the model looks like and the GUI can show it. Their text is the image plugin's
  description of the picture (labels, OCR) when ``mmrag_image`` is installed, else the
  metadata.

Outside a library (``ctx.media_dir`` is None) only the metadata item is produced.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from mmrag_desktop import hookimpl
from mmrag_desktop.interfaces import ExtractContext, Extractor
from mmrag_desktop.records import Item, Locator

from .model import Model, read
from .render import View, canonical_views, render
from .summary import metadata_text, title

MMRAG_HOOK_API = "1"

log = logging.getLogger(__name__)

#: Rendered view size in pixels (square); the shared contract caps thumbnails at 512.
VIEW_SIZE = 320
_MEDIA_TYPES = {".obj": "model/obj", ".stl": "model/stl", ".ply": "model/x-ply", ".glb": "model/gltf-binary",
                ".gltf": "model/gltf+json", ".off": "model/x-off"}


def _describer() -> Callable[[Image.Image], str] | None:
    """The image plugin's picture → text function, if that plugin is installed."""
    try:
        from mmrag_image import describe
    except ImportError:
        return None
    return describe


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _save_png(image: Image.Image, target: Path) -> None:
    """Write atomically: a concurrent reader never sees half a PNG."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            image.save(handle, format="PNG", optimize=False)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def render_view(model: Model, view: View, size: int = VIEW_SIZE) -> Image.Image:
    pixels = render(model.draw_vertices, model.draw_faces, view, size=size, face_colors=model.draw_colors,
                    density=model.density)
    return Image.fromarray(np.ascontiguousarray(pixels), mode="RGB")


class MeshExtractor(Extractor):
    """3D model files: a metadata item and rendered views."""

    name = "mesh"
    extensions = tuple(_MEDIA_TYPES)
    modality = "3d"
    media_type = "model/gltf-binary"
    version = "2"  # 2: items carry meta["thumbnail"]
    priority = 0
    #: A 5-million-face binary STL is 250 MB; beyond this trimesh's copies get too big.
    max_bytes = 400 * 1024 * 1024

    def media_type_for(self, path: Path) -> str:
        return _MEDIA_TYPES.get(path.suffix.lower(), self.media_type)

    def extract(self, path: Path, ctx: ExtractContext) -> Iterator[Item]:
        model = read(path)
        text = metadata_text(path, model)
        parts = [text] if ctx.fits(text) else [chunk.text for chunk in ctx.chunk(text)]
        folder = Path(ctx.media_dir) / "views" if ctx.media_dir is not None else None
        digest = _file_digest(path)[:24]
        # Every item names the three-quarter view as the file's thumbnail: a matched
        # front or side view alone is often a flat grey square in a result grid.
        thumb = {"thumbnail": str(folder / f"{digest}-{canonical_views()[-1].name}.png")} if folder else {}
        for part in parts:
            yield Item(text=part, modality="text", kind="metadata", meta=dict(thumb))
        if folder is None:
            return
        describe = _describer()
        up = "z" if path.suffix.lower() == ".stl" else "y"  # 3D printing/CAD files are Z-up
        for view in canonical_views(up):
            target = folder / f"{digest}-{view.name}.png"
            if target.exists():  # same content rendered before (the name is its hash)
                with Image.open(target) as cached:
                    image = cached.convert("RGB")
            else:
                image = render_view(model, view)
                _save_png(image, target)
            label = f"{view.name} view of 3D model {title(path)}"
            described = ""
            if describe is not None:
                try:
                    described = describe(image).strip()
                except Exception as exc:  # a failing describer leaves the metadata as the text
                    log.warning("mmrag_image.describe failed on a view of %s: %s: %s", path.name,
                                type(exc).__name__, exc)
                    described = ""
            view_text = f"{label}: {described}" if described else f"{label}\n{parts[0]}"
            if not ctx.fits(view_text):
                view_text = ctx.chunk(view_text)[0].text
            yield Item(text=view_text, modality="image", kind="view", locator=Locator(section=f"{view.name} view"),
                       meta={"image": str(target), "view": view.name, "width": image.width, "height": image.height,
                             **thumb})


@hookimpl
def register_extractors(register: Callable[[Extractor], None]) -> None:
    register(MeshExtractor())
