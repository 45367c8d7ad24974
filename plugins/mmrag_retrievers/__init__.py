"""The built-in retrievers: BM25 over the FTS5 index, and dense search in every
embedding space that accepts the query's modality (text → text, image → image, …), plus
the text spaces for the text an attachment's query transform derived from it."""

from __future__ import annotations

from dataclasses import replace

from mmrag_desktop import hookimpl
from mmrag_desktop.interfaces import Retriever, SearchBackend
from mmrag_desktop.records import Filters, Query, RankedList


class BM25Retriever(Retriever):
    name = "bm25"

    def search(self, query: Query, backend: SearchBackend, k: int, filters: Filters) -> list[RankedList]:
        if not query.text:
            return []
        return [RankedList("bm25", tuple(backend.fts_search(query.text, k, filters)))]


class DenseRetriever(Retriever):
    name = "dense"

    def search(self, query: Query, backend: SearchBackend, k: int, filters: Filters) -> list[RankedList]:
        lists = []
        plan = [(encoder, query) for encoder in backend.encoders_for(query.modality)]
        if query.modality != "text" and (query.text or "").strip():
            # An attachment's derived text (labels, OCR, transcript) also searches the
            # text spaces, as a plain text query.
            as_text = replace(query, modality="text", path=None)
            plan += [(encoder, as_text) for encoder in backend.encoders_for("text")
                     if query.modality not in encoder.modalities]
        for encoder, asked in plan:
            vector = encoder.embed_query(asked)
            if vector is None:
                continue
            lists.append(RankedList(f"dense:{encoder.name}", tuple(backend.dense_search(encoder, vector, k, filters))))
        return lists


@hookimpl
def register_retrievers(register):  # type: ignore[no-untyped-def]
    register(BM25Retriever())
    register(DenseRetriever())
