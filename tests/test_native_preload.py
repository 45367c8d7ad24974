"""A GPU build of llama-cpp-python is imported with the package, before numpy.

No GPU build can be installed here, so the detection is tested on a stand-in package
folder holding a file named like the CUDA backend's library (a fake, said so: the crash
it prevents was seen only on a CUDA machine, benchmarks/results/llama_gpu.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mmrag_desktop.native_preload import gpu_llama_build


def _stand_in(root: Path, libs: list[str]) -> Path:
    package = root / "llama_cpp"
    (package / "lib").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for name in libs:
        (package / "lib" / name).write_bytes(b"")
    return root


@pytest.mark.parametrize(("libs", "gpu"), [(["libggml-cpu.so", "libggml-cuda.so"], True),
                                           (["libggml-cpu.so", "libllama.so"], False)])
def test_gpu_build_is_recognised_by_its_backend_library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         libs: list[str], gpu: bool) -> None:
    monkeypatch.syspath_prepend(str(_stand_in(tmp_path, libs)))
    monkeypatch.delitem(sys.modules, "llama_cpp", raising=False)
    assert gpu_llama_build() is gpu


def test_importing_the_package_loads_a_gpu_llama_build_before_numpy(tmp_path: Path) -> None:
    root = _stand_in(tmp_path, ["libggml-cuda.so"])
    (root / "llama_cpp" / "__init__.py").write_text("import sys\nLOADED_BEFORE_NUMPY = 'numpy' not in sys.modules\n")
    code = "import mmrag_desktop, sys; print(sys.modules['llama_cpp'].LOADED_BEFORE_NUMPY)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": f"{root}:{Path(__file__).resolve().parent.parent}", "PATH": "/usr/bin"})
    assert out.stdout.strip() == "True"
