"""The CLIP-layout encoder (mmrag_clip) end to end, with a tiny CLIP-shaped ONNX pair
built here with random weights (no real CLIP model ships where this project installs
from): the layout is found, items and queries of both modalities land in one space,
and an image query finds its own picture first. Quality of real models is not tested."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper
from PIL import Image, ImageDraw

import mmrag_clip
from mmrag_desktop.config import Config
from mmrag_desktop.library import Library
from mmrag_desktop.records import Item

DIM, SIDE, CONTEXT = 16, 32, 8


def _save(graph: helper.GraphProto, path: Path) -> None:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(model.SerializeToString())


def _save_visual(folder: Path, rng: np.random.Generator, image: str, side: int, out: str) -> None:
    """A visual tower that is one random projection of the flattened picture."""
    w_visual = numpy_helper.from_array(rng.normal(size=(3 * side * side, DIM)).astype(np.float32), "w")
    _save(helper.make_graph(
        [helper.make_node("Flatten", [image], ["flat"]), helper.make_node("MatMul", ["flat", "w"], [out])],
        "visual", [helper.make_tensor_value_info(image, TensorProto.FLOAT, ["N", 3, side, side])],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, ["N", DIM])], initializer=[w_visual],
    ), folder / "visual" / "model.onnx")


def build_tiny_clip(folder: Path, multilingual: bool = False) -> None:
    rng = np.random.default_rng(7)
    _save_visual(folder, rng, "image", SIDE, "embedding")
    w_text = numpy_helper.from_array(rng.normal(size=(CONTEXT, DIM)).astype(np.float32), "w")
    inputs = [helper.make_tensor_value_info("input_ids" if multilingual else "text", TensorProto.INT32, ["N", CONTEXT])]
    nodes = [helper.make_node("Cast", [inputs[0].name], ["ids"], to=TensorProto.FLOAT),
             helper.make_node("MatMul", ["ids", "w"], ["embedding"])]
    if multilingual:
        inputs.append(helper.make_tensor_value_info("attention_mask", TensorProto.INT32, ["N", CONTEXT]))
        nodes.insert(1, helper.make_node("Cast", ["attention_mask"], ["mask"], to=TensorProto.FLOAT))
        nodes[-1] = helper.make_node("Mul", ["ids", "mask"], ["masked"])
        nodes.append(helper.make_node("MatMul", ["masked", "w"], ["embedding"]))
    _save(helper.make_graph(nodes, "textual", inputs,
                            [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", DIM])],
                            initializer=[w_text]), folder / "textual" / "model.onnx")
    vocab = {"<pad>": 0, "<unk>": 1, **{w: i + 2 for i, w in enumerate(["a", "red", "circle", "blue", "square", "cat", "photo", "of"])}}
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": [], "normalizer": None,
        "pre_tokenizer": {"type": "Whitespace"}, "post_processor": None, "decoder": None,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "<unk>"},
    }
    (folder / "textual" / "tokenizer.json").write_text(json.dumps(tokenizer))
    (folder / "textual" / "tokenizer_config.json").write_text(json.dumps({"pad_token": "<pad>"}))
    (folder / "visual" / "preprocess_cfg.json").write_text(json.dumps(
        {"size": [SIDE, SIDE], "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "interpolation": "bicubic",
         "resize_mode": "shortest"}))
    (folder / "config.json").write_text(json.dumps({"embed_dim": DIM, "text_cfg": {"context_length": CONTEXT}}))


def _picture(path: Path, colour: str, shape: str) -> None:
    image = Image.new("RGB", (200, 150), "white")
    draw = ImageDraw.Draw(image)
    (draw.ellipse if shape == "circle" else draw.rectangle)((40, 20, 160, 130), fill=colour)
    image.save(path)


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "models"
    monkeypatch.setenv("MMRAG_MODELS_DIR", str(root))
    return root


@pytest.mark.parametrize("multilingual", [False, True])
def test_layout_is_found_and_embeds_both_modalities(models: Path, multilingual: bool) -> None:
    build_tiny_clip(models / "clip" / "tiny", multilingual)
    (models / "clip" / "incomplete" / "visual").mkdir(parents=True)  # no textual model: ignored
    registered: list = []
    mmrag_clip.register_encoders(registered.append)
    (encoder,) = registered
    assert encoder.name == "clip:tiny" and encoder.modalities == {"text", "image"} and not encoder.default
    encoder.ensure_dim()
    assert encoder.dim == DIM
    from mmrag_desktop.records import Query

    vector = encoder.embed_query(Query(text="a red circle"))
    assert vector.shape == (DIM,) and np.isclose(np.linalg.norm(vector), 1.0)
    assert not encoder.accepts(Item(text="some document text"))


def test_image_query_finds_its_picture_in_the_joint_space(models: Path, tmp_path: Path) -> None:
    build_tiny_clip(models / "clip" / "tiny")
    photos = tmp_path / "photos"
    photos.mkdir()
    for colour, shape in [("red", "circle"), ("blue", "square"), ("green", "circle"), ("black", "square")]:
        _picture(photos / f"{colour}-{shape}.png", colour, shape)
    (photos / "notes.txt").write_text("A note about a red circle.")
    with Library(tmp_path / "lib", config=Config(encoders=("clip:tiny",))) as library:
        library.index([photos])
        spaces = {s["model_id"].split("@")[0]: s for s in library.status()["spaces"]}
        assert spaces["clip:tiny"]["vectors"] == 4  # the pictures; the note is declined
        hits = library.search(library.file_query(photos / "blue-square.png"), k=4, retrievers=["dense"])
        assert hits[0].path.name == "blue-square.png"
        assert hits[0].best.ranks["dense:clip:tiny"] == 1
        text_hits = library.search("a red circle", k=4, retrievers=["dense"])
        assert {h.path.suffix for h in text_hits} == {".png"}  # text lands in the image space


def build_openai_layout(folder: Path) -> None:
    """The OpenAI layout as Jina AI's clip-as-service exports it: ``pixel_values`` in,
    int64 ``input_ids`` + ``attention_mask``, a merges file and no config files (so
    OpenAI's 224 px preprocessing applies). Random weights; a made-up merges file."""
    rng = np.random.default_rng(11)
    side = 224
    _save_visual(folder, rng, "pixel_values", side, "out")
    w_text = numpy_helper.from_array(rng.normal(size=(77, DIM)).astype(np.float32), "w")
    inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, ["N", 77]) for n in ("input_ids", "attention_mask")]
    nodes = [helper.make_node("Mul", ["input_ids", "attention_mask"], ["masked"]),
             helper.make_node("Cast", ["masked"], ["ids"], to=TensorProto.FLOAT),
             helper.make_node("MatMul", ["ids", "w"], ["out"])]
    _save(helper.make_graph(nodes, "textual", inputs, [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["N", DIM])],
                            initializer=[w_text]), folder / "textual" / "model.onnx")
    import gzip

    merges = "#version: 0.2\nc a\nca t</w>\nr e\nre d</w>\n"
    (folder / "textual" / mmrag_clip.BPE_MERGES).write_bytes(gzip.compress(merges.encode()))


def test_openai_layout_with_a_merges_file_embeds_text_and_pictures(models: Path, tmp_path: Path) -> None:
    from mmrag_clip.bpe import END, START, clip_tokenizer
    from mmrag_desktop.models import catalogs
    from mmrag_desktop.records import Query

    folder = models / "clip" / "clip-vit-b-32-openai"
    build_openai_layout(folder)
    # The catalog entry installs exactly this layout where the plugin looks for it.
    entry = catalogs.entry("clip-vit-b-32-openai")
    assert entry.install_dir() == folder
    assert sorted(f.path for f in entry.files) == sorted(
        str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert mmrag_clip.bpe.clean("怎么样？ &amp;") == "怎么样? &"
    tokenizer = clip_tokenizer(folder / "textual" / mmrag_clip.BPE_MERGES)
    encoding = tokenizer.encode("A  RED cat")
    tokens = [t for t in encoding.tokens if t != "!"]
    assert tokens == [START, "a</w>", "red</w>", "cat</w>", END]  # lower-cased, merged, word ends marked
    assert len(encoding.ids) == 77 and encoding.ids[-1] == 0 and sum(encoding.attention_mask) == 5
    assert len(tokenizer.encode("word " * 200).ids) == 77 and tokenizer.encode("word " * 200).tokens[76] == END
    (encoder,) = [e for e in _registered() if e.name == "clip:clip-vit-b-32-openai"]
    encoder.ensure_dim()
    assert encoder.dim == DIM
    text = encoder.embed_query(Query(text="a red cat"))
    picture = tmp_path / "p.png"
    _picture(picture, "red", "circle")
    image = encoder.embed_query(Query(text="", modality="image", path=picture))
    assert text.shape == image.shape == (DIM,) and np.isclose(np.linalg.norm(image), 1.0)
    assert not np.allclose(text, encoder.embed_query(Query(text="a blue dog")))


def _registered() -> list:
    registered: list = []
    mmrag_clip.register_encoders(registered.append)
    return registered
