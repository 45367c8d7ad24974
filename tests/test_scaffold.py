"""`mmrag plugin new`: the generated distribution is valid, its tests pass as written, and
once installed the app finds it through its entry point."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from mmrag_desktop.errors import MMRagError
from mmrag_desktop.scaffold import PluginNames, write_plugin

ROOT = Path(__file__).resolve().parent.parent


def _run(args: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    full_env.pop("MMRAG_LOAD_PLUGINS", None)
    return subprocess.run(args, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)


def _pytest(tests: Path, *, cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess[str]:
    # -P: the working directory is not put on sys.path, so the package comes from PYTHONPATH only.
    return _run([sys.executable, "-P", "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests)], cwd=cwd,
                env={"PYTHONPATH": str(pythonpath)})


def test_names() -> None:
    names = PluginNames.from_name("mmrag-Photo-Notes", "TXTX")
    assert (names.name, names.distribution, names.package) == ("photo-notes", "mmrag-photo-notes", "mmrag_photo_notes")
    assert (names.extension, names.extractor_class) == (".txtx", "TxtxExtractor")
    for bad in ("", "9lives", "a--b", "mmrag-", "x y", "ümlaut"):
        with pytest.raises(MMRagError, match="not a usable plugin name"):
            PluginNames.from_name(bad)
    with pytest.raises(MMRagError, match="not a file extension"):
        PluginNames.from_name("ok", ".a/b")


def test_cli_writes_a_plugin_whose_own_tests_pass(tmp_path: Path) -> None:
    target = tmp_path / "mmrag-recipes"
    base = [sys.executable, "-m", "mmrag_desktop", "plugin", "new"]
    created = _run([*base, "recipes", "--dir", str(target)], cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    assert f"Created {target}" in created.stdout
    project = tomllib.loads((target / "pyproject.toml").read_text("utf-8"))
    assert project["project"]["name"] == "mmrag-recipes"
    assert project["project"]["entry-points"]["mmrag"] == {"recipes": "mmrag_recipes"}
    assert (target / "README.md").exists() and (target / "mmrag_recipes" / "__init__.py").exists()
    # Not installed: the entry-point test skips, the others pass against the source folder.
    result = _pytest(target / "tests", cwd=target, pythonpath=target)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed, 1 skipped" in result.stdout
    again = _run([*base, "recipes", "--dir", str(target)], cwd=tmp_path)
    assert again.returncode == 1 and "already exists" in again.stderr and "Traceback" not in again.stderr
    default = _run([*base, "mmrag-cards"], cwd=tmp_path)
    assert default.returncode == 0 and (tmp_path / "mmrag-cards" / "mmrag_cards" / "__init__.py").exists()


def test_write_plugin_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine", "utf-8")
    with pytest.raises(MMRagError, match="already exists"):
        write_plugin(PluginNames.from_name("x"), tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


@pytest.mark.slow
def test_installed_scaffold_is_found_through_its_entry_point(tmp_path: Path) -> None:
    """pip-installs the generated distribution into a throw-away --target folder (the
    project's environment is left alone) and runs its tests from there: all three pass,
    including the one that loads it through the `mmrag` entry-point group."""
    source = tmp_path / "src"
    write_plugin(PluginNames.from_name("scaffold-check"), source)
    target = tmp_path / "site"
    installed = _run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index", "-q",
                      "--target", str(target), str(source)], cwd=tmp_path, timeout=240)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (target / "mmrag_scaffold_check" / "__init__.py").exists()
    assert list(target.glob("mmrag_scaffold_check-0.1.0.dist-info/entry_points.txt"))
    result = _pytest(source / "tests", cwd=tmp_path, pythonpath=target)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout and "skipped" not in result.stdout
