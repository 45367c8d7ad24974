"""A picture attached to a query: read it (a user error if it is no picture) and add
the words it stands for — confident objects and labels and the text in it — to the query."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from mmrag_desktop.errors import MMRagError
from mmrag_desktop.interfaces import ExtractionError, QueryTransform
from mmrag_desktop.records import Query

from . import picture as pic
from .analysis import analyse

#: Least probability for a label to become words of a picture query.
QUERY_LABEL_MIN = 0.6
#: Least detection score for an object's name to become a word of a picture query.
QUERY_OBJECT_MIN = 0.5


def query_picture(path: Path) -> pic.Picture:
    """The picture attached to a query; a file that is no picture is the user's mistake
    (a one-line error), not a plugin failure."""
    try:
        return pic.open_picture(path.read_bytes())
    except (ExtractionError, OSError) as exc:
        raise MMRagError(f"{path.name} cannot be read as a picture: {exc}") from None


class ImageQueryTransform(QueryTransform):
    """A picture attached to a query also searches by its labels and the text in it."""

    name = "image-to-text"
    priority = 10

    def transform(self, query: Query) -> Query:
        if query.modality != "image" or query.path is None:
            return query
        picture = query_picture(Path(query.path))
        result, _ = analyse(picture.image)
        # Only confident labels: on a screenshot or a document the classifier's guesses
        # ("nematode", "website") are noise that matches other documents' guesses.
        labels = "; ".join(label.name for label in result.labels[:3] if label.probability >= QUERY_LABEL_MIN)
        objects = ", ".join(dict.fromkeys(o.label for o in result.objects if o.score >= QUERY_OBJECT_MIN))
        derived = " ".join(part for part in [objects, labels, *(line.text for line in result.lines)] if part)
        typed = query.original if query.original is not None else (query.text or "")
        return replace(query, text=f"{typed} {derived}".strip(), original=typed)

