"""Built-in plugin: faces — "photos of this person".

Every picture the picture plugin indexes is searched for faces (dlib's HOG detector,
only when its object detector saw a person or did not look); each face becomes an item
(kind ``face``, a bbox locator in pixels of the original picture, the picture's
thumbnail in ``meta["image"]`` and the aligned face in ``meta["chip"]``) whose dlib
ResNet descriptor lives in its own 128-d space (:class:`FaceEncoder`). A picture query
(``mmrag search --image face.jpg``) is searched by the faces in it
(:class:`FaceRetriever`): the photos holding the same person come back, ranked by how
close the faces are.

Needs ``dlib-bin`` (Linux x86-64 and Windows x64 wheels) and the model files of
``face_recognition_models``; without them the plugin registers nothing. Turn the face
detector off with ``MMRAG_IMAGE_FACES=0``. See docs/images.md ("Faces").
"""

from __future__ import annotations

from collections.abc import Callable

from mmrag_desktop import hookimpl
from mmrag_desktop.interfaces import Encoder, Retriever

from .items import KIND, SETTINGS, face_items
from .model import FACES, MODEL, SAME_PERSON, Face, available
from .search import FaceEncoder, FaceRetriever

MMRAG_HOOK_API = "1"

__all__ = ["FACES", "KIND", "MODEL", "SAME_PERSON", "SETTINGS", "Face", "FaceEncoder", "FaceRetriever", "available",
           "face_items", "installed"]


def installed() -> bool:
    """dlib imports and the model files are where pip put them (not hashed here: the
    first use checks the sha256)."""
    if not available():
        return False
    from mmrag_desktop.models import entry, locate

    try:
        model = entry(MODEL)
    except Exception:  # not catalogued (a trimmed catalog)
        return False
    return all(locate(model, file) is not None for file in model.files)


@hookimpl
def register_encoders(register: Callable[[Encoder], None]) -> None:
    if installed():
        register(FaceEncoder())


@hookimpl
def register_retrievers(register: Callable[[Retriever], None]) -> None:
    if installed():
        register(FaceRetriever())
