"""Build the EfficientNet-Lite ONNX graph from a PyTorch state dict, without PyTorch.

The architecture is EfficientNet-Lite as implemented by ``efficientnet-lite-pytorch``
0.1.0 (a port of the TensorFlow reference, Apache-2.0): a 3x3 stride-2 stem, 16 mobile
inverted-bottleneck blocks without squeeze-excitation, a 1x1 head to 1280 channels,
ReLU6 everywhere (the "lite" variants; ``set_swish()`` would replace it with Swish and
ruin the outputs, so it is not modelled), global average pooling and a linear layer.
Convolutions use TensorFlow's static "SAME" padding for a fixed input size (extra
padding goes bottom/right). Batch norms are folded into the convolutions here, so the
graph is only Conv, Clip, Add, GlobalAveragePool, Flatten and Gemm.

Outputs: ``logits`` (N, 1000) and ``features`` (N, 1280), the pooled activations before
the classifier, used as the image→image embedding.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

#: (repeats, kernel, stride, expand ratio, in channels, out channels) per stage, lite0.
LITE0_STAGES = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
BN_EPS = 1e-3
IMAGE_SIZE = 224
OPSET = 13


def _same_pads(size: int, kernel: int, stride: int) -> tuple[int, int]:
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class _Graph:
    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        from onnx import helper, numpy_helper

        self.helper, self.numpy_helper = helper, numpy_helper
        self.weights = weights
        self.nodes: list = []
        self.inits: list = []
        self.count = 0

    def _name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}_{self.count}"

    def const(self, name: str, array: np.ndarray) -> str:
        self.inits.append(self.numpy_helper.from_array(np.ascontiguousarray(array, dtype=np.float32), name))
        return name

    def conv_bn(self, x: str, size: int, conv: str, bn: str, stride: int, groups: int = 1, relu6: bool = True) -> tuple[str, int]:
        """Conv (no bias) + folded batch norm (+ ReLU6); returns the output and its size."""
        w = self.weights[f"{conv}.weight"].astype(np.float64)
        gamma, beta = self.weights[f"{bn}.weight"], self.weights[f"{bn}.bias"]
        mean, var = self.weights[f"{bn}.running_mean"], self.weights[f"{bn}.running_var"]
        scale = gamma / np.sqrt(var.astype(np.float64) + BN_EPS)
        w_folded = w * scale[:, None, None, None]
        b_folded = beta - mean * scale
        kernel = w.shape[-1]
        top, bottom = _same_pads(size, kernel, stride)
        out = self._name(conv.replace(".", "_"))
        self.nodes.append(self.helper.make_node(
            "Conv", [x, self.const(out + "_w", w_folded), self.const(out + "_b", b_folded)], [out],
            kernel_shape=[kernel, kernel], strides=[stride, stride], pads=[top, top, bottom, bottom], group=groups,
        ))
        if relu6:
            out = self.relu6(out)
        return out, math.ceil(size / stride)

    def relu6(self, x: str) -> str:
        out = self._name("relu6")
        lo, hi = self._name("zero"), self._name("six")
        self.const(lo, np.array(0.0))
        self.const(hi, np.array(6.0))
        self.nodes.append(self.helper.make_node("Clip", [x, lo, hi], [out]))
        return out


def build_model(weights: dict[str, np.ndarray], image_size: int = IMAGE_SIZE) -> bytes:
    """The serialized ONNX model for EfficientNet-Lite0 with these weights."""
    from onnx import TensorProto, checker, helper

    g = _Graph(weights)
    x, size = g.conv_bn("image", image_size, "_conv_stem", "_bn0", stride=2)
    index = 0
    for repeats, kernel, stride, expand, c_in, c_out in LITE0_STAGES:
        for r in range(repeats):
            block_in, block_stride = (c_in, stride) if r == 0 else (c_out, 1)
            prefix = f"_blocks.{index}"
            inputs = x
            if expand != 1:
                x, _ = g.conv_bn(x, size, f"{prefix}._expand_conv", f"{prefix}._bn0", stride=1)
            channels = block_in * expand
            if weights[f"{prefix}._depthwise_conv.weight"].shape[-1] != kernel:
                raise ValueError(f"{prefix}: checkpoint is not EfficientNet-Lite0")
            x, size = g.conv_bn(x, size, f"{prefix}._depthwise_conv", f"{prefix}._bn1", stride=block_stride,
                                groups=channels)
            x, _ = g.conv_bn(x, size, f"{prefix}._project_conv", f"{prefix}._bn2", stride=1, relu6=False)
            if block_stride == 1 and block_in == c_out:
                out = g._name("add")
                g.nodes.append(helper.make_node("Add", [x, inputs], [out]))
                x = out
            index += 1
    x, size = g.conv_bn(x, size, "_conv_head", "_bn1", stride=1)
    g.nodes.append(helper.make_node("GlobalAveragePool", [x], ["pooled"]))
    g.nodes.append(helper.make_node("Flatten", ["pooled"], ["features"], axis=1))
    fc_w, fc_b = g.const("fc_w", weights["_fc.weight"]), g.const("fc_b", weights["_fc.bias"])
    g.nodes.append(helper.make_node("Gemm", ["features", fc_w, fc_b], ["logits"], transB=1))
    classes = weights["_fc.weight"].shape[0]
    graph = helper.make_graph(
        g.nodes, "efficientnet_lite0", [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, image_size, image_size])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", classes]),
         helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", 1280])],
        initializer=g.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="mmrag_image.convert")
    model.ir_version = 8  # readable by onnxruntime >= 1.17 (the project's floor)
    checker.check_model(model)
    return model.SerializeToString()


def convert(checkpoint: Path, target: Path) -> None:
    """Write the ONNX model for ``checkpoint`` to ``target`` atomically."""
    from .pth import load_state_dict

    data = build_model(load_state_dict(checkpoint))
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.write_bytes(data)
    partial.replace(target)
