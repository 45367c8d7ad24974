"""The sdist and wheel are complete: build the sdist, build the wheel *from the sdist*,
install the wheel with no access to the source tree, and run the CLI from it.

Dependencies come from the test venv (installing them from PyPI into a fresh venv would
make the suite depend on the network); the interpreter runs with ``-S`` so the source
tree's editable install is invisible and only the built wheel provides the app.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_built_from_sdist_installs_and_runs(tmp_path: Path) -> None:
    pytest.importorskip("build")
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "benchmarks", "*.egg-info", "build", "dist", "__pycache__", ".mmrag-demo", ".pytest_cache"))
    dist = tmp_path / "dist"
    built = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(source)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-3000:]
    (sdist,) = dist.glob("mmrag_desktop-*.tar.gz")
    (wheel,) = dist.glob("mmrag_desktop-*.whl")
    target = tmp_path / "site"
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target",
                                str(target), str(wheel)], capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr[-3000:]
    site = sysconfig.get_paths()["purelib"]
    runner = (
        "import sys; sys.path[:0] = [sys.argv.pop(1), sys.argv.pop(1)]\n"
        "import mmrag_desktop; assert mmrag_desktop.__file__.startswith(sys.path[0]), mmrag_desktop.__file__\n"
        "from mmrag_desktop.cli import main; main(sys.argv[1:])\n"
    )

    def mmrag(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-S", "-c", runner, str(target), site, *args],
                              capture_output=True, text=True, timeout=300, cwd=tmp_path)

    version = mmrag("--version")
    assert version.returncode == 0, version.stderr
    assert "mmrag" in version.stdout
    data = tmp_path / "lib"
    plugins = json.loads(mmrag("--data-dir", str(data), "plugins", "--json").stdout)
    assert {p["name"] for p in plugins if p["source"] == "built-in" and p["state"] == "enabled"} >= {
        "text", "markdown", "pdf", "code", "table", "html", "docx", "e5", "retrievers"}
    demo = mmrag("--data-dir", str(data), "demo")
    assert demo.returncode == 0, demo.stderr
    assert "6 added" in demo.stdout and "backups.md" in demo.stdout and "网络代理设置.md" in demo.stdout
    assert sdist.stat().st_size > 0
