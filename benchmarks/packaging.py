"""Size and start-up time of the frozen Linux package (dist/mmrag-desktop, built by
packaging/build.py, reused when up to date). Writes benchmarks/results/packaging.md.

    .venv/bin/python benchmarks/packaging.py

* size: the whole one-folder app on disk, and its biggest parts;
* cold start: the app's files are evicted from the page cache first (posix_fadvise
  DONTNEED on each file: only this app's pages, nothing else on the machine), then one
  launch is timed — close to the first start after a reboot or a fresh unpack;
* warm start: the median of five further launches;
* first search: a new process searching the indexed sample folder, which loads the
  encoder's weights and the index (cold and warm as above);
* window: with the GUI bundled, seconds from the process's start until the main window
  is shown (offscreen), cold cache.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging"))

from build import build, folder_size  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "packaging.md"


def evict(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


def launch(app: Path, *args: str, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run([str(app / "mmrag"), *args], check=True, capture_output=True, env={**os.environ, **(env or {})})
    return time.perf_counter() - start


def cold_and_warm(app: Path, *args: str, env: dict[str, str] | None = None) -> tuple[float, float]:
    evict(app)
    cold = launch(app, *args, env=env)
    warm = statistics.median(launch(app, *args, env=env) for _ in range(5))
    return cold, warm


def main() -> None:
    start = time.perf_counter()
    app = build()
    built_in = time.perf_counter() - start
    total = folder_size(app)
    internal = app / "_internal"
    parts = sorted(((folder_size(p) if p.is_dir() else p.stat().st_size, p.name) for p in internal.iterdir()),
                   reverse=True)[:8]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {"MMRAG_DATA_DIR": str(Path(tmp) / "data"), "MMRAG_MODELS_DIR": str(Path(tmp) / "models")}
        cold, warm = cold_and_warm(app, "--version", env=env)
        rows.append(f"| `mmrag --version` | {cold:.2f} s | {warm:.2f} s |")
        sample = Path(tmp) / "sample"
        shutil.copytree(ROOT / "mmrag_desktop" / "sample", sample)
        launch(app, "index", str(sample), env=env)
        cold, warm = cold_and_warm(app, "search", "how do I make a backup of my files", env=env)
        rows.append(f"| `mmrag search …` on the indexed sample (loads the encoder) | {cold:.2f} s | {warm:.2f} s |")
        if (app / "mmrag-desktop").exists():
            evict(app)
            done = subprocess.run([str(app / "mmrag-desktop"), "--gui-smoke", str(Path(tmp) / "shots")],
                                  capture_output=True, text=True, env={**os.environ, **env, "QT_QPA_PLATFORM": "offscreen"})
            steps = json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else {}
            rows.append(f"| window shown (`mmrag-desktop`, offscreen, cold cache) | {steps.get('window_s', 'failed')} s | |")
    lines = [
        "# Frozen Linux package",
        "",
        "`benchmarks/packaging.py` on the PyInstaller one-folder build from `packaging/build.py` "
        f"(Python {platform.python_version()}, {platform.machine()}; shared 2-core VM, load "
        f"{os.getloadavg()[0]:.1f}).",
        "",
        f"**Size**: {total / 1e6:.0f} MB on disk (`dist/mmrag-desktop/`, "
        f"{'with' if (app / 'mmrag-desktop').exists() else 'without'} the GUI); biggest parts:",
        "",
        "| part of `_internal/` | MB |",
        "|---|---|",
        *(f"| {name} | {size / 1e6:.0f} |" for size, name in parts),
        "",
        "**Start-up** (cold: the app's files evicted from the page cache before the launch; warm: median of 5):",
        "",
        "| launch | cold | warm |",
        "|---|---|---|",
        *rows,
        "",
        f"Build: {'reused an up-to-date build' if built_in < 30 else f'{built_in:.0f} s'} this run.",
        "",
    ]
    RESULTS.write_text("\n".join(lines), "utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
