"""`pip install mmrag-desktop[all]` works from the built artifacts: build the sdist, build
the wheel *from the sdist*, install each into its own fresh venv with the `all` extra,
and run the app from there (`--version`, the plugins, the sample search).

No network: the fresh venvs get their *dependencies* from the test venv (a folder of links
to its site-packages minus this app, put on their path with a .pth file), and pip runs
with --no-index, so it must resolve `mmrag-desktop[all]` — every optional plugin
dependency included — against what is installed, and install the app itself from the
artifact. scripts/install.sh --test installs `[all]` into the test venv for this reason.
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


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    pytest.importorskip("build")
    tmp = tmp_path_factory.mktemp("dist")
    source = tmp / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "benchmarks", "*.egg-info", "build", "dist", "__pycache__", ".mmrag-demo", ".pytest_cache",
        ".ruff_cache"))
    dist = tmp / "out"
    built = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(source)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-3000:]
    (sdist,) = dist.glob("mmrag_desktop-*.tar.gz")
    (wheel,) = dist.glob("mmrag_desktop-*.whl")
    return sdist, wheel


def _dependencies_folder(tmp: Path) -> Path:
    """Links to the test venv's installed packages, without this app (so pip installs
    it from the artifact instead of finding it already installed)."""
    folder = tmp / "deps"
    folder.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        name = entry.name.lower()
        if name.startswith(("mmrag", "__editable__", "_mmrag")) or name.endswith(".pth"):
            continue
        (folder / entry.name).symlink_to(entry)
    return folder


def _fresh_venv(path: Path, deps: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=120)
    python = path / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(site) / "_mmrag_test_deps.pth").write_text(f"{deps}\n", "utf-8")
    return python


def _install(python: Path, artifact: Path, links: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-index", "--no-build-isolation",
         "--find-links", str(links), f"mmrag-desktop[all] @ {artifact.as_uri()}"],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_all_extra_installs_into_a_fresh_venv_and_runs(kind: str, artifacts: tuple[Path, Path], tmp_path: Path) -> None:
    sdist, wheel = artifacts
    artifact = wheel if kind == "wheel" else sdist
    python = _fresh_venv(tmp_path / "venv", _dependencies_folder(tmp_path))
    _install(python, artifact, artifact.parent)
    venv_bin = python.parent

    def mmrag(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(venv_bin / "mmrag"), *args], capture_output=True, text=True, timeout=300,
                              cwd=tmp_path, env={"PATH": f"{venv_bin}:/usr/bin:/bin", "HOME": str(tmp_path),
                                                 "MMRAG_DATA_DIR": str(tmp_path / "data")})

    where = subprocess.run([str(python), "-c", "import mmrag_desktop, mmrag_models; print(mmrag_desktop.__file__); "
                            "print(mmrag_models.__file__)"], capture_output=True, text=True, cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    assert all(line.startswith(str(tmp_path / "venv")) for line in where.stdout.split()), where.stdout
    version = mmrag("--version")
    assert version.returncode == 0 and "mmrag" in version.stdout, version.stderr
    models = mmrag("models", "list", "--json")
    assert models.returncode == 0, models.stderr
    assert "multilingual-e5-small-q4" in {row["id"] for row in json.loads(models.stdout)}
    plugins = json.loads(mmrag("plugins", "--json").stdout)
    assert {p["name"] for p in plugins if p["source"] == "built-in" and p["state"] == "enabled"} >= {
        "text", "markdown", "pdf", "code", "table", "html", "docx", "e5", "onnx_encoder", "onnx_rerank", "retrievers"}
    if kind == "wheel":  # the sample search, once (the sdist install has the same files)
        demo = mmrag("demo", "--no-ask")  # packaging, not generation (test_cli runs the question)
        assert demo.returncode == 0, demo.stderr
        assert "6 added" in demo.stdout and "backups.md" in demo.stdout and "网络代理设置.md" in demo.stdout

