#!/usr/bin/env bash
# Prepares .device/: what benchmarks/llama_gpu.sh needs on an offline GPU machine that
# has python3, numpy, cmake, ninja, scikit-build-core, jinja2, typing-extensions and nvcc
# but no package index and at most ~55 MiB of carried files.
#   - llama_cpp_python-<ver>.tar.gz : the llama-cpp-python sdist, stripped from 76 MB to a
#     few MB (see strip list below: model vocab files, docs, tests, examples, tools other
#     than mtmd, other GPU backends' sources, the sdist's copy of git history);
#   - diskcache, pluggy, platformdirs wheels: runtime deps missing there (llama_cpp
#     imports diskcache; mmrag_desktop imports pluggy, and platformdirs via the model
#     catalog that the llama plugin resolves paths with);
#   - twin-header.bin + twin.json   : the default model's GGUF header (all metadata,
#     tokenizer, chat template, tensor infos) and its tensor list, from which
#     benchmarks/llama_gpu.py --make-twin writes a same-shape model with random weights.
# Run here (with network to PyPI), once:  bash benchmarks/llama_gpu_pack.sh [MODEL.gguf]
set -euo pipefail
VER=0.3.36
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEV=$ROOT/.device
PY=${PY:-$ROOT/.venv/bin/python}
MODEL=${1:-$HOME/.local/share/mmrag-desktop/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$DEV"

"$PY" -m pip download -q --no-deps --no-binary :all: "llama-cpp-python==$VER" -d "$WORK/sd"
"$PY" -m pip download -q --no-deps --only-binary :all: diskcache==5.6.3 pluggy==1.7.0 platformdirs==4.14.8 -d "$DEV"
tar xzf "$WORK/sd/llama_cpp_python-$VER.tar.gz" -C "$WORK"
S=$WORK/llama_cpp_python-$VER
L=$S/vendor/llama.cpp
# Nothing below is read by the default configure (LLAMA_BUILD_TESTS/EXAMPLES/TOOLS/SERVER
# are off when llama.cpp is a subdirectory; llama-cpp-python adds only tools/mtmd) nor by
# the CUDA backend (ggml/src/ggml-cuda/CMakeLists.txt globs only its own folder and
# FetchContent()s CCCL only with GGML_CUDA_CUB_3DOT2, off by default).
rm -rf "$S/.git" "$S/.github" "$S/docs" "$S/docker" "$S/examples" "$S/tests" \
  "$L/.git" "$L/.github" "$L/.devops" "$L/models" "$L/docs" "$L/media" "$L/benches" "$L/tests" \
  "$L/examples" "$L/pocs" "$L/gguf-py" "$L/conversion" "$L/ci" "$L/skills" "$L/requirements" \
  "$L/grammars" "$L/scripts" "$L"/convert_*.py
find "$L/tools" -mindepth 1 -maxdepth 1 ! -name mtmd ! -name CMakeLists.txt -exec rm -rf {} +
for b in vulkan sycl opencl metal hexagon et webgpu openvino cann virtgpu zdnn zendnn rpc hip musa; do
  rm -rf "$L/ggml/src/ggml-$b"
done
tar czf "$DEV/llama_cpp_python-$VER.tar.gz" -C "$WORK" "llama_cpp_python-$VER"

# The model's header: everything before the tensor data (KV metadata + tensor infos).
# The gguf package reads it; installed into the scratch folder, not the project's venv.
"$PY" -m pip install -q --no-deps --target "$WORK/gguf" gguf==0.19.0
PYTHONPATH=$WORK/gguf:$ROOT "$PY" "$ROOT/benchmarks/llama_gpu.py" --extract-twin "$MODEL" --out "$DEV"
du -sh "$DEV"; ls -la "$DEV"
