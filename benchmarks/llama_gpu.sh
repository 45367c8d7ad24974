#!/usr/bin/env bash
# GPU offload check of the llama generator on a borrowed, offline NVIDIA machine (python3,
# numpy, cmake, ninja, scikit-build-core, jinja2, typing-extensions, nvcc; no package
# index). Needs .device/ made here by benchmarks/llama_gpu_pack.sh. Steps:
#   1. build llama-cpp-python 0.3.36 with CUDA from the carried, stripped sdist;
#   2. write a shape twin of the default model (benchmarks/llama_gpu.py --make-twin);
#   3. run benchmarks/llama_gpu.py on it with n_gpu_layers 0 and -1.
# Results: $OUT/llama_gpu.json, $OUT/llama_gpu.md, the build log and this script's log.
#     OUT=/tmp/out bash benchmarks/llama_gpu.sh [.device]
# (LLAMA_WHEEL=path.whl skips the build and BENCH_ARGS adds options such as "--trials 1":
# how the rest was tested on a CPU machine.)
#
# Build choices, to fit the whole run in about 8 minutes on 16 cores:
#   - CMAKE_CUDA_ARCHITECTURES=90-real: H100/H200 are sm_90; one architecture instead of
#     the default list of five, and no PTX copy (nothing else will load this build).
#   - LLAMA_BUILD_TESTS/EXAMPLES/TOOLS/SERVER=OFF: already off for a subdirectory build,
#     said explicitly so a future default cannot add minutes.
#   - LLAVA_BUILD=OFF: no libmtmd (~60 C++ files of image/audio projectors competing with
#     nvcc for the cores); llama_cpp loads it only for multimodal chat handlers, which the
#     text generator never uses (checked: import, load and generate work without it).
#   - GGML_CUDA_FA_ALL_QUANTS=OFF (the default): FlashAttention kernels for the f16/q8_0/
#     q4_0 KV caches only; the engine uses the default f16 cache. FlashAttention itself
#     stays on, as in a user's build.
#   - GGML_CUDA_COMPRESSION_MODE=none: no fatbin compression pass (size only matters
#     for distributing the wheel).
#   - GGML_CUDA_NCCL=OFF, LLAMA_OPENSSL=OFF: one GPU; nothing is downloaded.
#   - GGML_NATIVE=OFF: the same portable CPU code as scripts/install.sh builds (AVX2/FMA,
#     no AVX-512), so the n_gpu_layers=0 row is what a user's CPU build does.
#   - the build is capped at 450 s (timeout) so a slow build still leaves its log.
# Expected: 144 CUDA files. Compiled here (nvcc 13.0, gcc 12, one shared core, with
# these flags against the stripped sources): an mmq instance 29 s, a fattn-mma instance
# 55 s, a fattn-tile instance 35 s, an mmf instance 16 s, ggml-cuda.cu 12 s, softmax.cu
# 8 s; about 3,700 CPU-seconds for all 144 plus ~400 s of C++, so roughly 4-5 minutes
# on 16 cores.
# Measured on the H200 machine (16 cores, 2026-11-26): 254 s.
set -euo pipefail
export PYTHONUNBUFFERED=1
DEV=${1:-.device}
OUT=${OUT:-/tmp/out}
SITE=${SITE:-/tmp/site}
mkdir -p "$OUT" "$SITE" /tmp/llama-wheel
t0=$(date +%s)
step() { echo "== [$(( $(date +%s) - t0 )) s] $*"; }

# nvcc may be installed without being on PATH.
if ! command -v nvcc >/dev/null 2>&1 && [[ -x /usr/local/cuda/bin/nvcc ]]; then export PATH=/usr/local/cuda/bin:$PATH; fi
step "carried: $(du -sh "$DEV" | cut -f1) in $DEV"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
nvcc --version | tail -n 2 || true
python3 --version
python3 -m pip install -q --upgrade --no-index --no-deps --no-compile --no-cache-dir --target "$SITE" "$DEV"/*.whl

step "building llama-cpp-python with CUDA"
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}
export CMAKE_ARGS="-DGGML_CUDA=on -DCMAKE_CUDA_ARCHITECTURES=90-real -DGGML_NATIVE=OFF \
-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF \
-DLLAVA_BUILD=OFF -DGGML_CUDA_FA_ALL_QUANTS=OFF -DGGML_CUDA_COMPRESSION_MODE=none -DGGML_CUDA_NCCL=OFF \
-DLLAMA_OPENSSL=OFF"
b0=$(date +%s)
if [[ -n "${LLAMA_WHEEL:-}" ]]; then
  cp "$LLAMA_WHEEL" /tmp/llama-wheel/  # a wheel built already (how this script is tested on a CPU machine)
elif [[ -f /tmp/llama-wheel/.cuda-ok ]]; then
  step "reusing the CUDA wheel an earlier run on this machine built"
elif ! timeout 450 python3 -m pip wheel -v --no-build-isolation --no-deps --no-index -w /tmp/llama-wheel \
    "$DEV"/llama_cpp_python-*.tar.gz > "$OUT/build-log.txt" 2>&1; then
  grep -E "error|Error" "$OUT/build-log.txt" | head -n 20 || true
  tail -n 40 "$OUT/build-log.txt"
  step "BUILD FAILED after $(( $(date +%s) - b0 )) s (log: build-log.txt)"
  exit 1
fi
[[ -n "${LLAMA_WHEEL:-}" ]] || touch /tmp/llama-wheel/.cuda-ok
step "built in $(( $(date +%s) - b0 )) s: $(ls /tmp/llama-wheel)"
grep -E "Using CMAKE_CUDA_ARCHITECTURES|CUDA Toolkit found|Including CUDA backend" "$OUT/build-log.txt" 2>/dev/null | head -n 5 || true
python3 -m pip install -q --upgrade --no-index --no-deps --no-compile --no-cache-dir --target "$SITE" /tmp/llama-wheel/*.whl
ls "$SITE/llama_cpp/lib"

export PYTHONPATH="$SITE:$PWD:$PWD/plugins${PYTHONPATH:+:$PYTHONPATH}"
# libggml-cuda.so finds libcudart/libcublas through the RPATH CMake recorded from the link
# directories; the toolkit's lib folders on the library path as well, in case it did not.
# (nvcc may be a wrapper script: /usr/local/cuda and CUDA_HOME are tried as well.)
roots=("${CUDA_HOME:-}" /usr/local/cuda)
if command -v nvcc >/dev/null 2>&1; then roots+=("$(dirname "$(dirname "$(readlink -f "$(command -v nvcc)")")")"); fi
for root in "${roots[@]}"; do
  if [[ -n "$root" && -d "$root/lib64" ]]; then
    export LD_LIBRARY_PATH="$root/lib64:$root/targets/x86_64-linux/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  fi
done
python3 -c "import llama_cpp; print('llama_cpp', llama_cpp.__version__, 'from', llama_cpp.__file__,
  '| GPU offload supported:', bool(llama_cpp.llama_supports_gpu_offload()))"
step "writing the shape twin"
python3 benchmarks/llama_gpu.py --make-twin "$DEV" --twin-out /tmp/twin.gguf

step "benchmark"
python3 benchmarks/llama_gpu.py --model /tmp/twin.gguf --twin --gpu-layers 0 -1 --out "$OUT" --label llama_gpu ${BENCH_ARGS:-} \
  > "$OUT/bench-log.txt" 2>&1 || { tail -n 60 "$OUT/bench-log.txt"; step "BENCHMARK FAILED"; exit 1; }
cat "$OUT/llama_gpu.md"
# Further twins, GPU only: each .device/t*/ holds a spec made with --extract-twin (t15: the
# optional Qwen2.5-Coder-1.5B), to see what offload makes of the larger model.
for spec in "$DEV"/t*/; do
  [[ -f "$spec/twin.json" ]] || continue
  name=$(basename "$spec")
  step "twin $name"
  python3 benchmarks/llama_gpu.py --make-twin "$spec" --twin-out "/tmp/twin-$name.gguf"
  python3 benchmarks/llama_gpu.py --model "/tmp/twin-$name.gguf" --twin --gpu-layers -1 --out "$OUT" \
    --label "llama_gpu-$name" ${BENCH_ARGS:-} > "$OUT/bench-log-$name.txt" 2>&1 \
    && cat "$OUT/llama_gpu-$name.md" || { tail -n 30 "$OUT/bench-log-$name.txt"; step "BENCHMARK $name FAILED"; }
done
step "done"
