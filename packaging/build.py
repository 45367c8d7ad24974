"""Build the Linux desktop package: a PyInstaller one-folder app in dist/mmrag-desktop/.

    .venv/bin/python packaging/build.py            # build, or reuse an up-to-date build
    .venv/bin/python packaging/build.py --force    # always rebuild

Needs the `packaging` extra (`pip install -e .[packaging]`; the `test` extra has it too).
Steps:
1. a build key: sha256 over the app's sources (core, plugins, catalog, packaging files,
   pyproject.toml) and the versions of every installed distribution; if dist/ holds a
   build with the same key it is reused (the packaging test relies on this);
2. the app is installed non-editable into build/packaging/site (a wheel's layout with its
   real ``*.dist-info``, entry points included), which goes first on PYTHONPATH;
3. PyInstaller runs packaging/mmrag.spec;
4. the desktop integration is added: ``mmrag-desktop`` (a link to ``mmrag``; the name
   opens the window) when the GUI is bundled, the icon, a ``.desktop`` entry and
   ``install-desktop-entry.sh``, which registers them for the current user.
Prints the size of the folder and the build time.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
APP = "mmrag-desktop"
#: Sources whose change makes a new build (relative to ROOT); files only, walked.
SOURCES = ("mmrag_desktop", "plugins", "models", "packaging", "pyproject.toml")
SKIP_PARTS = {"__pycache__", ".pytest_cache", "tests", "build", "dist"}


def build_key() -> str:
    digest = hashlib.sha256()
    for top in SOURCES:
        base = ROOT / top
        files = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        for path in files:
            rel = path.relative_to(ROOT)
            if SKIP_PARTS & set(rel.parts) or path.suffix in (".pyc", ".md"):
                continue
            digest.update(str(rel).encode() + b"\0" + path.read_bytes() + b"\0")
    # What gets frozen also depends on every installed library's version.
    installed = sorted(f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions())
    digest.update("\n".join([sys.version, *installed]).encode())
    return digest.hexdigest()[:20]


def dist_dir(root: Path | None = None) -> Path:
    return (root or ROOT / "dist") / APP


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def install_site(site: Path) -> None:
    """The app as a wheel installs it, without its dependencies (they are in this venv)."""
    shutil.rmtree(site, ignore_errors=True)
    # setuptools reuses build/lib and never drops files deleted from the tree since.
    for stale in ("build/lib", "build/bdist.linux-x86_64"):
        shutil.rmtree(ROOT / stale, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-compile", "--target", str(site), str(ROOT)], check=True)


def desktop_integration(app: Path, has_gui: bool) -> None:
    icons = app / "share" / "icons"
    icons.mkdir(parents=True, exist_ok=True)
    shutil.copy2(HERE / "linux" / "mmrag-desktop.svg", icons / "mmrag-desktop.svg")
    shutil.copy2(HERE / "linux" / "mmrag-desktop.png", icons / "mmrag-desktop.png")
    entry = (HERE / "linux" / "mmrag-desktop.desktop").read_text("utf-8")
    if not has_gui:  # a CLI-only build opens a terminal with the demo instead
        entry = entry.replace("Exec=mmrag-desktop %F", "Exec=mmrag demo").replace("Terminal=false", "Terminal=true")
    (app / "share" / "mmrag-desktop.desktop").write_text(entry, "utf-8")
    script = app / "install-desktop-entry.sh"
    shutil.copy2(HERE / "linux" / "install-desktop-entry.sh", script)
    script.chmod(0o755)
    link = app / "mmrag-desktop"
    if has_gui and not link.exists():
        link.symlink_to("mmrag")


def build(force: bool = False, distpath: Path | None = None) -> Path:
    app = dist_dir(distpath)
    key = build_key()
    stamp = app / ".build-key"
    if not force and stamp.exists() and stamp.read_text().strip() == key and (app / "mmrag").exists():
        print(f"Reusing {app} (build key {key})")
        return app
    if importlib.util.find_spec("PyInstaller") is None:
        sys.exit("PyInstaller is not installed: pip install -e '.[packaging]'")
    work = ROOT / "build" / "packaging"
    site = work / "site"
    start = time.perf_counter()
    install_site(site)
    # `python -m` puts the working directory first on sys.path: run from the work folder,
    # or the checkout's own mmrag_desktop/ and its editable-install egg-info would be
    # frozen instead of the staged copy.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    has_gui = (site / "mmrag_desktop" / "gui").is_dir()
    shutil.rmtree(app, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                    "--distpath", str(app.parent), "--workpath", str(work / "pyinstaller"),
                    str(HERE / "mmrag.spec")], check=True, env=env, cwd=work)  # not ROOT: see below
    desktop_integration(app, has_gui)
    stamp.write_text(key + "\n")
    seconds = time.perf_counter() - start
    print(f"Built {app} in {seconds:.0f} s: {folder_size(app) / 1e6:.0f} MB"
          + ("" if has_gui else " (no GUI in this tree: CLI only)"))
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild even if dist/ is up to date")
    parser.add_argument("--key", action="store_true", help="print the build key and exit")
    options = parser.parse_args()
    if options.key:
        print(build_key())
        return
    build(force=options.force)


if __name__ == "__main__":
    main()
