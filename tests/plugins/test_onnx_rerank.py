"""The ONNX cross-encoder reranker: a user imports a (query, passage) model, it is detected
as a reranker and reorders search results by its scores.

No real cross-encoder is small enough to ship offline, so the test builds one with `onnx`
in the shape of a BERT cross-encoder export (input_ids, attention_mask, token_type_ids →
one logit per pair) whose score is knowable: one-hot word embeddings, the query segment's
sum dotted with the passage segment's sum, i.e. the number of (query word, passage word)
matches. Unlike BM25 it does not saturate repeated terms, so it provably reorders."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from mmrag_desktop import models
from mmrag_desktop.records import ItemHit, Locator, Query
from mmrag_desktop.testing import temporary_library, write

onnx = pytest.importorskip("onnx")
tokenizers = pytest.importorskip("tokenizers")

WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "engine", "piston", "gasket", "river", "boat", "oar", "the", "a"]


def make_cross_encoder(folder: Path) -> Path:
    from onnx import TensorProto, helper, numpy_helper

    folder.mkdir(parents=True)
    table = np.eye(len(WORDS), dtype=np.float32)
    table[:4] = 0  # special tokens carry no meaning
    nodes = [
        helper.make_node("Gather", ["table", "input_ids"], ["emb"], axis=0),                    # [b, t, d]
        helper.make_node("Cast", ["token_type_ids"], ["type_f"], to=TensorProto.FLOAT),
        helper.make_node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["type_f", "mask_f"], ["passage_w"]),
        helper.make_node("Sub", ["mask_f", "passage_w"], ["query_w"]),
        helper.make_node("Unsqueeze", ["passage_w", "last"], ["passage_w3"]),
        helper.make_node("Unsqueeze", ["query_w", "last"], ["query_w3"]),
        helper.make_node("Mul", ["emb", "passage_w3"], ["passage_emb"]),
        helper.make_node("Mul", ["emb", "query_w3"], ["query_emb"]),
        helper.make_node("ReduceSum", ["passage_emb", "tokens_axis"], ["passage_vec"], keepdims=0),
        helper.make_node("ReduceSum", ["query_emb", "tokens_axis"], ["query_vec"], keepdims=0),
        helper.make_node("Mul", ["passage_vec", "query_vec"], ["product"]),
        helper.make_node("ReduceSum", ["product", "last"], ["logits"], keepdims=1),            # [b, 1]
    ]
    inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "tokens"])
              for n in ("input_ids", "attention_mask", "token_type_ids")]
    graph = helper.make_graph(nodes, "overlap_cross_encoder", inputs,
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 1])],
                              [numpy_helper.from_array(table, "table"),
                               numpy_helper.from_array(np.array([-1], dtype=np.int64), "last"),
                               numpy_helper.from_array(np.array([1], dtype=np.int64), "tokens_axis")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(folder / "model.onnx"))
    tokenizer = tokenizers.Tokenizer(tokenizers.models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    tokenizer.normalizer = tokenizers.normalizers.Lowercase()
    tokenizer.post_processor = tokenizers.processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    tokenizer.save(str(folder / "tokenizer.json"))
    return folder


def hit(item_id: int, text: str) -> ItemHit:
    return ItemHit(item_id, 1.0 / item_id, "text", "chunk", Locator(), text[:40], text)


def test_imported_cross_encoder_is_detected_and_reranks(tmp_path: Path) -> None:
    entry = models.import_model(make_cross_encoder(tmp_path / "overlap-reranker"))
    assert entry["role"] == "rerank"  # detected from the single logit per pair
    from mmrag_onnx_rerank import installed_cross_encoders

    (reranker,) = installed_cross_encoders()
    assert reranker.name == "cross-encoder:overlap-reranker"
    scores = reranker.score("engine piston", ["engine engine piston", "river boat", "the engine"])
    assert scores.tolist() == [3.0, 0.0, 1.0]
    hits = [hit(1, "river boat oar"), hit(2, "the engine"), hit(3, "engine piston gasket engine")]
    reordered = reranker.rerank(Query(text="engine piston gasket"), hits)
    assert [h.item_id for h in reordered] == [3, 2, 1]
    reranker.top = 2  # only the head is reranked; the tail keeps its place
    assert [h.item_id for h in reranker.rerank(Query(text="engine piston gasket"), hits)] == [2, 1, 3]
    # The user's own words are scored, not text a query transform added.
    reranker.top = 30
    query = Query(text="engine piston gasket", original="river boat")
    assert [h.item_id for h in reranker.rerank(query, hits)] == [1, 2, 3]


def test_search_results_follow_the_cross_encoder(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write(docs / "all-three.txt", "engine piston gasket")
    write(docs / "repeats.txt", "engine engine engine engine engine piston")
    write(docs / "water.txt", "river boat oar")
    with temporary_library(tmp_path / "plain") as plain:
        plain.index([docs])
        before = [h.path.name for h in plain.search("engine piston gasket")]
    assert before[0] == "all-three.txt"  # BM25 prefers the document with every term
    models.import_model(make_cross_encoder(tmp_path / "overlap-reranker"))
    with temporary_library(tmp_path / "reranked") as library:
        assert "onnx_rerank" in [name for name, _ in library.rerankers]
        library.index([docs])
        after = [h.path.name for h in library.search("engine piston gasket")]
    assert after[:2] == ["repeats.txt", "all-three.txt"]  # 6 matches beat 3
    assert Path(os.environ["MMRAG_MODELS_DIR"], "rerank", "overlap-reranker", "model.onnx").exists()


def test_no_reranker_without_an_installed_model(tmp_path: Path) -> None:
    from mmrag_onnx_rerank import installed_cross_encoders

    assert installed_cross_encoders() == []
    with temporary_library(tmp_path / "lib") as library:
        # (other plugins may rerank too, e.g. the picture plugin folds near-duplicates)
        assert "onnx_rerank" not in [name for name, _ in library.rerankers]
