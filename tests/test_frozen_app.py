"""The frozen desktop package (packaging/build.py, PyInstaller one-folder) builds and works.

Marked ``packaging``: the first run builds dist/mmrag-desktop (1–3 minutes on 2 cores
for the CLI-only tree, more with the GUI); later runs reuse it while the build key (a
hash of the sources and installed versions) is unchanged. The frozen executable runs in
a subprocess with the test's own data and models folders. The window step runs when the
tree has the GUI package (``mmrag_desktop/gui``) and is skipped, saying so, when not.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import mmrag_desktop
from mmrag_desktop.plugins import DEFAULT_PLUGINS

ROOT = Path(__file__).resolve().parent.parent
BUILD_SCRIPT = ROOT / "packaging" / "build.py"


def test_default_plugins_match_the_entry_points() -> None:
    # The plugin manager falls back to DEFAULT_PLUGINS when a frozen or source-tree run
    # has no distribution metadata; the list must then name every built-in plugin.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert dict(DEFAULT_PLUGINS) == project["project"]["entry-points"]["mmrag"]


@pytest.fixture(scope="module")
def app() -> Path:
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.skip("PyInstaller is not installed: pip install -e '.[packaging]'")
    done = subprocess.run([sys.executable, str(BUILD_SCRIPT)], capture_output=True, text=True, cwd=ROOT,
                          timeout=1200)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    folder = ROOT / "dist" / "mmrag-desktop"
    assert (folder / "mmrag").is_file()
    return folder


def run(app: Path, *args: str, exe: str = "mmrag", timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    done = subprocess.run([str(app / exe), *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **env})
    assert done.returncode == 0, f"{exe} {' '.join(args)} exited {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done


@pytest.mark.packaging
@pytest.mark.timeout(1500)
def test_frozen_app_starts_finds_its_plugins_and_models(app: Path) -> None:
    assert run(app, "--version").stdout.strip() == f"mmrag, version {mmrag_desktop.__version__}"
    report = json.loads(run(app, "--self-check").stdout)
    assert report["frozen"] is True
    assert report["problems"] == []
    # Found through the bundled entry points, not the fallback list.
    assert set(report["entry_points"]) == {name for name, _ in DEFAULT_PLUGINS}
    assert {p["name"] for p in report["plugins"] if p["state"] == "enabled"} >= set(report["entry_points"])
    model_paths = [p for paths in report["models"].values() for p in paths]
    assert model_paths and all(p.startswith(str(app)) for p in model_paths)  # shipped inside, not borrowed
    assert report["search"]["dense_top"] == "boat.md"


@pytest.mark.packaging
@pytest.mark.timeout(1500)
def test_frozen_app_without_its_metadata_falls_back_to_the_builtin_list(app: Path, tmp_path: Path) -> None:
    # A copy (hard links: cheap) of the build whose dist-info is gone, as a broken
    # packaging step would leave it: the plugins still load, from DEFAULT_PLUGINS.
    broken = tmp_path / "broken"
    shutil.copytree(app, broken, symlinks=True, copy_function=os.link)
    (metadata_dir,) = (broken / "_internal").glob("mmrag_desktop-*.dist-info")
    shutil.rmtree(metadata_dir)
    done = run(broken, "plugins", "--json")
    assert "lost its plugin metadata" in done.stderr
    listing = {p["name"]: p for p in json.loads(done.stdout)}
    for name, _module in DEFAULT_PLUGINS:
        assert listing[name]["state"] == "enabled" and listing[name]["source"] == "built-in", listing[name]


@pytest.mark.packaging
@pytest.mark.timeout(1500)
def test_frozen_app_indexes_and_searches_the_sample_folder(app: Path, tmp_path: Path) -> None:
    sample = tmp_path / "sample"
    shutil.copytree(ROOT / "mmrag_desktop" / "sample", sample)
    import trimesh

    trimesh.creation.icosphere(subdivisions=2).export(sample / "globe.stl")  # native-free plugin, frozen
    # Plugins that read files by path at run time (models, label lists, OCR configs) fail
    # only when they meet a file of theirs: give each installed one something to read.
    font = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    picture = importlib.util.find_spec("mmrag_image") is not None and font.exists()
    if picture:
        from PIL import Image, ImageDraw, ImageFont

        receipt = Image.new("RGB", (720, 160), "white")
        ImageDraw.Draw(receipt).text((20, 50), "INVOICE hardware store", fill="black",
                                     font=ImageFont.truetype(str(font), 48))
        receipt.save(sample / "receipt.png")
        # HEIC (pillow-heif, a dependency): its native libheif must be in the bundle too.
        import pillow_heif

        pillow_heif.register_heif_opener()
        boarding = Image.new("RGB", (720, 160), "white")
        ImageDraw.Draw(boarding).text((20, 50), "BOARDING PASS gate 12", fill="black",
                                      font=ImageFont.truetype(str(font), 48))
        boarding.save(sample / "boarding.heic", "HEIF", quality=90)
    library = ["--data-dir", str(tmp_path / "library")]
    report = json.loads(run(app, *library, "index", "--json", str(sample)).stdout)
    assert report["failed"] == 0, report
    assert report["added"] == sum(1 for p in sample.rglob("*") if p.is_file()), report

    def top(query: str) -> dict:
        hits = json.loads(run(app, *library, "search", query, "--json", "-k", "3").stdout)
        assert hits, query
        return hits[0]

    assert Path(top("how do I make a backup of my files")["path"]).name == "backups.md"
    assert Path(top("怎么设置网络代理")["path"]).name == "网络代理设置.md"
    globe = top("globe")
    assert Path(globe["path"]).name == "globe.stl" and globe["modality"] == "3d"
    views = list((tmp_path / "library" / "media" / "views").glob("*.png"))
    assert len(views) == 4
    if picture:  # OCR and labels work frozen
        assert Path(top("hardware store invoice")["path"]).name == "receipt.png"
        assert Path(top("boarding pass")["path"]).name == "boarding.heic"


@pytest.mark.packaging
@pytest.mark.timeout(1500)
def test_desktop_entry_and_icon_install_for_the_user(app: Path, tmp_path: Path) -> None:
    entry = (app / "share" / "mmrag-desktop.desktop").read_text("utf-8")
    assert "Icon=mmrag-desktop" in entry and "Type=Application" in entry
    if shutil.which("desktop-file-validate"):
        subprocess.run(["desktop-file-validate", str(app / "share" / "mmrag-desktop.desktop")], check=True)
    from PIL import Image

    with Image.open(app / "share" / "icons" / "mmrag-desktop.png") as icon:
        assert icon.size == (256, 256)
    home = tmp_path / "home"
    env = {"HOME": str(home), "XDG_DATA_HOME": str(home / ".local" / "share")}
    subprocess.run(["sh", str(app / "install-desktop-entry.sh")], check=True, env={**os.environ, **env},
                   capture_output=True)
    installed = (home / ".local/share/applications/mmrag-desktop.desktop").read_text("utf-8")
    exec_line = next(line for line in installed.splitlines() if line.startswith("Exec="))
    assert exec_line.split("=", 1)[1].split()[0].startswith(str(app))  # absolute: no PATH needed
    assert (home / ".local/share/icons/hicolor/256x256/apps/mmrag-desktop.png").exists()
    assert run(home / ".local" / "bin", "--version").stdout.startswith("mmrag")  # the ~/.local/bin link works
    subprocess.run(["sh", str(app / "install-desktop-entry.sh"), "--uninstall"], check=True,
                   env={**os.environ, **env}, capture_output=True)
    assert not (home / ".local/share/applications/mmrag-desktop.desktop").exists()


@pytest.mark.packaging
@pytest.mark.timeout(1500)
def test_frozen_window_opens_indexes_searches_and_takes_a_screenshot(app: Path, tmp_path: Path) -> None:
    if not (ROOT / "mmrag_desktop" / "gui").is_dir():
        pytest.skip("no desktop window in this tree (mmrag_desktop/gui is absent): the build is CLI-only")
    assert (app / "mmrag-desktop").exists(), "the tree has a GUI but the build has no mmrag-desktop launcher"
    done = run(app, "--gui-smoke", str(tmp_path / "shots"), exe="mmrag-desktop", timeout=600,
               QT_QPA_PLATFORM="offscreen", MMRAG_DATA_DIR=str(tmp_path / "data"))
    steps = json.loads(done.stdout.strip().splitlines()[-1])
    assert steps["indexed"] and steps["searched"] and steps["hits"] and steps["screenshot"], steps
    from PIL import Image, ImageStat

    with Image.open(tmp_path / "shots" / "frozen-window.png") as shot:
        assert shot.width >= 800 and max(ImageStat.Stat(shot.convert("L")).stddev) > 10  # not a blank window
