"""Packaging metadata stays in step with the tree: every built-in plugin folder is an
installed package and a registered entry point, and the catalog ships as package data."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_plugin_folder_is_packaged_and_registered() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    packages = set(project["tool"]["setuptools"]["packages"])
    package_dirs = project["tool"]["setuptools"]["package-dir"]
    entry_modules = {v.split(".")[0] for v in project["project"]["entry-points"]["mmrag"].values()}
    for folder in sorted((ROOT / "plugins").iterdir()):
        if (folder / "__init__.py").exists():
            assert folder.name in packages, folder.name
            assert package_dirs[folder.name] == f"plugins/{folder.name}"
            assert folder.name in entry_modules, f"{folder.name} has no entry point in the mmrag group"
    assert package_dirs["mmrag_models"] == "models"


def test_catalog_loads_from_the_installed_package() -> None:
    from mmrag_desktop import models

    ids = {m.id for m in models.catalog()}
    assert "multilingual-e5-small-q4" in ids
