"""One way to open the picture models' onnxruntime sessions (classifier, object
detector, OCR text check).

onnxruntime's worker threads busy-wait ("spin") between operators by default. On a
2-core laptop that is shared — with the indexer decoding the next picture, with the
text encoder, with other programs — the spinning thread takes the core the other work
needs: measured on the detector, 2 threads spinning cost 99 CPU-ms per picture against
54 without, for the same result (``benchmarks/results/images.md``). So the pool sleeps
when it has nothing to do.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

#: Let onnxruntime's threads busy-wait (its default). Off: see the module docstring.
SPINNING = False


def threads_for(threads: int) -> int:
    """``threads`` or, when 0, every core up to four (more gives nothing on these nets)."""
    return threads or min(4, os.cpu_count() or 1)


def session(model: Path | bytes, threads: int = 0) -> Any:
    """A CPU session for ``model`` (a file, or a serialised graph)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads_for(threads)
    options.inter_op_num_threads = 1
    if not SPINNING:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    source = model if isinstance(model, bytes) else str(model)
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
