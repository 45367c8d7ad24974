"""`mmrag models import`: a user's own GGUF or ONNX file is checked, its role detected
from its own metadata, adopted into the models folder with a catalog entry, listed,
verified and removed. GGUF files are written by the test with a valid header (no small
real GGUF ships with the test tools); the ONNX model is the generic encoder test's."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from model_fixtures import write_gguf

from mmrag_desktop import models
from mmrag_desktop.errors import MMRagError
from mmrag_desktop.models.gguf import read_gguf


def models_dir() -> Path:
    return Path(os.environ["MMRAG_MODELS_DIR"])


def test_gguf_chat_model_is_detected_adopted_listed_and_removed(tmp_path: Path, fts_library) -> None:  # type: ignore[no-untyped-def]
    source = write_gguf(tmp_path / "my-model.Q4.gguf", {"general.architecture": "llama", "general.name": "Tiny Chat 1B",
                                                        "general.license": "apache-2.0"})
    info = read_gguf(source)
    assert info.architecture == "llama" and info.metadata["tokenizer.ggml.tokens"] == ["<s>", "</s>", "hello", "world"]
    assert info.expected_size == source.stat().st_size
    entry = fts_library.import_model(source)
    assert entry["id"] == "my-model.q4" and entry["role"] == "llm" and entry["licence"] == "apache-2.0"
    assert entry["model_name"] == "Tiny Chat 1B" and entry["architecture"] == "llama"
    adopted = models_dir() / "llm" / "my-model.q4" / "my-model.Q4.gguf"
    assert entry["path"] == str(adopted) and adopted.read_bytes() == source.read_bytes()
    assert "my-model.q4" in [m.id for m in models.by_role("llm")]  # next to the packaged LLMs
    assert models.verify("my-model.q4") == [adopted]
    row = {r["id"]: r for r in fts_library.model_listing()}["my-model.q4"]
    assert row["state"] == "installed" and row["source_kind"] == "imported" and row["source"] == {"local": str(source)}
    with pytest.raises(MMRagError, match="exists already"):
        fts_library.import_model(source)
    fts_library.remove_model("my-model.q4")
    assert not adopted.exists() and not (models_dir() / "llm").exists()
    assert "my-model.q4" not in {r["id"] for r in fts_library.model_listing()}
    assert source.exists()  # the user's own file is never touched


def test_gguf_embedding_model_and_given_role(tmp_path: Path) -> None:
    bert = write_gguf(tmp_path / "e.gguf", {"general.architecture": "bert", "general.name": "bge small"})
    assert models.import_model(bert)["role"] == "text-embed"
    pooled = write_gguf(tmp_path / "p.gguf", {"general.architecture": "qwen3", "qwen3.pooling_type": 1})
    assert models.import_model(pooled)["role"] == "text-embed"  # a decoder used for embeddings
    ranker = write_gguf(tmp_path / "r.gguf", {"general.architecture": "bert", "bert.pooling_type": 4})
    assert models.import_model(ranker)["role"] == "rerank"
    other = write_gguf(tmp_path / "o.gguf", {"general.architecture": "qwen2"})
    entry = models.import_model(other, "rerank", name="My Reranker")
    assert entry["id"] == "my-reranker" and entry["role"] == "rerank" and entry["dir"] == "rerank/my-reranker"
    with pytest.raises(MMRagError, match="Unknown role 'chat'"):
        models.import_model(other, "chat")


@pytest.mark.parametrize(("damage", "message"), [
    (lambda data: data[:-40], r"truncated: \d+ bytes, but its tensors need \d+"),
    (lambda data: data[:60], "header ends early"),
    (lambda data: b"GGML" + data[4:], "not a GGUF file"),
    (lambda data: b"", "not a GGUF file"),
])
def test_damaged_gguf_is_refused_with_a_clear_reason(tmp_path: Path, damage, message: str) -> None:  # type: ignore[no-untyped-def]
    good = write_gguf(tmp_path / "good.gguf", {"general.architecture": "llama", "general.name": "x"})
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(damage(good.read_bytes()))
    with pytest.raises(MMRagError, match=message):
        models.import_model(bad)
    assert not (models_dir() / "catalog.json").exists()
    assert not (models_dir() / "llm").exists()


def test_only_model_files_can_be_imported(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hi")
    with pytest.raises(MMRagError, match="only GGUF"):
        models.import_model(text)
    with pytest.raises(MMRagError, match="No such file"):
        models.import_model(tmp_path / "missing.gguf")


def test_onnx_text_encoder_folder_is_detected_and_becomes_an_encoder(tmp_path: Path, fts_library) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("onnx")
    from test_onnx_encoder import make_model

    make_model(tmp_path / "tiny-bow")
    entry = fts_library.import_model(tmp_path / "tiny-bow")
    assert entry["role"] == "text-embed" and entry["format"] == "onnx"
    assert {f["path"] for f in entry["files"]} == {"model.onnx", "tokenizer.json", "mmrag.json"}
    # The generic ONNX encoder finds it in the models folder: selectable right away.
    assert "tiny-bow" in {e.name for e in fts_library.available_encoders}
    stored = json.loads((models_dir() / "catalog.json").read_text("utf-8"))["models"]
    assert [m["id"] for m in stored] == ["tiny-bow"]
    fts_library.remove_model("tiny-bow")
    assert "tiny-bow" not in {e.name for e in fts_library.available_encoders}


def test_onnx_text_model_without_tokenizer_is_refused(tmp_path: Path) -> None:
    pytest.importorskip("onnx")
    from test_onnx_encoder import make_model

    make_model(tmp_path / "m")
    (tmp_path / "m" / "tokenizer.json").unlink()
    with pytest.raises(MMRagError, match=r"needs its tokenizer\.json"):
        models.import_model(tmp_path / "m" / "model.onnx")
    (tmp_path / "m" / "model.onnx").write_bytes(b"not a protobuf")
    with pytest.raises(MMRagError, match="not a loadable ONNX model"):
        models.import_model(tmp_path / "m" / "model.onnx")
