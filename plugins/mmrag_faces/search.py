"""The face space and "photos of this person" search.

:class:`FaceEncoder` owns a 128-d space (Euclidean, dlib's metric) holding one vector per
face item. It embeds no queries itself: a plain nearest-neighbour list would rank every
face in the library, strangers included. :class:`FaceRetriever` instead finds the faces
in a query picture and returns only indexed faces closer than
:data:`~mmrag_faces.model.SAME_PERSON` to one of them, so a photo of someone brings back
the photos of that person and nothing else from this list.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mmrag_desktop.errors import MMRagError
from mmrag_desktop.interfaces import Encoder, Retriever, SearchBackend
from mmrag_desktop.records import Candidate, Filters, Item, Query, RankedList

from .items import KIND, read_chips
from .model import FACES, SAME_PERSON

log = logging.getLogger(__name__)

#: Faces of a query picture searched for (largest first): a group photo asks for each.
QUERY_FACES = 5


class FaceEncoder(Encoder):
    """dlib ResNet face descriptors of face items (from their aligned chips)."""

    name = "dlib-face"
    model_id = "dlib-face-recognition-resnet-v1@hog-5pt-chip150"
    dim = 128
    metric = "l2"
    modalities = frozenset({"image"})
    max_tokens = 0
    default = True

    def accepts(self, item: Item) -> bool:
        return item.kind == KIND and bool(item.meta.get("chip"))

    def embed_items(self, items: Sequence[Item]) -> np.ndarray:
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        chips, ok = read_chips([str(item.meta["chip"]) for item in items])
        if chips:
            out[ok] = FACES.describe(chips)
        # A chip deleted with the media folder leaves a zero vector, far from every face
        # (descriptors have a length of ~1.4): it never comes within SAME_PERSON.
        return out

    def embed_query(self, query: Query) -> np.ndarray | None:
        return None  # searched by FaceRetriever, which keeps only the same person


class FaceRetriever(Retriever):
    """A picture query → the indexed faces of the people in it, closest first."""

    name = "faces"
    #: Stronger than one dense list: when the query shows a face, the same person in
    #: another setting should beat another person in the same setting, which the
    #: picture's labels and 1280-d features favour (benchmarks/results/faces.md).
    weight = 5.0

    def search(self, query: Query, backend: SearchBackend, k: int, filters: Filters) -> list[RankedList]:
        if query.modality != "image" or query.path is None:
            return []
        encoder = next((e for e in backend.encoders_for("image") if isinstance(e, FaceEncoder)), None)
        if encoder is None:  # the plugin's encoder is off: no face space to search
            return []
        vectors = query_faces(Path(query.path))
        best: dict[int, float] = {}
        for vector in vectors:
            for candidate in backend.dense_search(encoder, vector, k, filters):
                distance = -candidate.score  # l2 spaces score by negative distance
                if distance < SAME_PERSON and distance < best.get(candidate.item_id, np.inf):
                    best[candidate.item_id] = distance
        ranked = sorted(best.items(), key=lambda kv: kv[1])[:k]
        return [RankedList("faces", tuple(Candidate(item_id, -distance) for item_id, distance in ranked))]


def query_faces(path: Path) -> list[np.ndarray]:
    """Descriptors of the largest faces in a query picture (none: not a picture of anyone)."""
    try:
        from mmrag_image import open_picture
    except ImportError:  # no picture plugin: nothing decodes the query
        return []
    try:
        picture = open_picture(path.read_bytes())
        faces = FACES.find(picture.image)[:QUERY_FACES]
    except MMRagError:
        raise
    except Exception as exc:  # the picture plugin reports an unreadable query picture itself
        log.info("no faces searched for %s: %s", path.name, exc)
        return []
    return list(FACES.describe([face.chip for face in faces])) if faces else []
