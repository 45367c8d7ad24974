"""Adopting a user's own model file: ``mmrag models import PATH [--role ROLE]``.

A GGUF or ONNX file (or a folder holding one, with its tokenizer and config files) is
checked, its role detected when not given (GGUF: the header's ``general.architecture``;
ONNX: the graph's inputs and outputs), hard-linked or copied into
``<models dir>/<role>/<id>/`` and recorded in the user catalog with its sha256, so it
is listed, verified and removed like a catalogued model and plugins find it by role.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path
from typing import Any

from ..errors import MMRagError
from ..paths import models_dir
from .catalogs import ROLES, catalog, user_raw, validate, write_user_raw
from .files import remember_verified
from .gguf import read_gguf

MODEL_SUFFIXES = (".gguf", ".onnx")
#: A model folder with more files than this is probably not a model folder.
MAX_FILES = 64


def import_model(path: Path | str, role: str | None = None, *, name: str | None = None) -> dict[str, Any]:
    """Adopt ``path``; returns the new catalog entry (plus ``path``: where it now lives)."""
    source = Path(path).expanduser().resolve()
    if not source.exists():
        raise MMRagError(f"No such file or folder: {path}")
    if role is not None and role not in ROLES:
        raise MMRagError(f"Unknown role {role!r}; one of: {', '.join(sorted(ROLES))}.")
    main, extras = _model_files(source)
    details: dict[str, Any] = {}
    if main.suffix.lower() == ".gguf":
        info = read_gguf(main)
        detected = info.role()
        details = {"format": "gguf", "architecture": info.architecture, "model_name": info.name}
        licence = str(info.metadata.get("general.license", "")) or "unknown (imported by the user)"
    else:
        detected, inputs = _onnx_role(main)
        details = {"format": "onnx", "inputs": inputs}
        licence = "unknown (imported by the user)"
    # The file name (folder name for a folder): GGUF files are usually named precisely
    # (model, size, quantisation); general.name is often vaguer.
    label = source.name if source.is_dir() else main.stem
    role = role or detected
    if role in ("text-embed", "rerank") and main.suffix.lower() == ".onnx" \
            and not any(p.name == "tokenizer.json" for p in extras):
        raise MMRagError(f"A {role} ONNX model needs its tokenizer.json next to it (or import the folder holding both).")
    model_id = _slug(name or label)
    taken = {m.id for m in catalog()}
    if model_id in taken:
        raise MMRagError(f"A model called {model_id!r} exists already; pass another --name or remove it first.")
    folder = f"{role}/{model_id}"
    target_dir = models_dir() / folder
    if target_dir.exists() and any(target_dir.iterdir()):
        raise MMRagError(f"{target_dir} is not empty; remove it or pass another --name.")
    try:
        files = [_adopt(file, target_dir) for file in (main, *extras)]
    except BaseException:
        shutil.rmtree(target_dir, ignore_errors=True)  # no half import left behind
        raise
    raw = {
        "id": model_id, "role": role,
        "description": f"Imported from {source}" + (f" ({details['model_name'] or details['architecture']})"
                                                    if details.get("architecture") else ""),
        "licence": licence, "source": {"local": str(source)}, "files": files, "dir": folder, **details,
    }
    problems = validate(raw)
    if problems:
        shutil.rmtree(target_dir, ignore_errors=True)
        raise MMRagError(f"Cannot import {source}: {'; '.join(problems)}.")
    write_user_raw([*user_raw(), raw])
    return {**raw, "path": str(target_dir / files[0]["path"])}


def _model_files(source: Path) -> tuple[Path, list[Path]]:
    if source.is_file():
        if source.suffix.lower() not in MODEL_SUFFIXES:
            raise MMRagError(f"{source.name}: only GGUF (.gguf) and ONNX (.onnx) model files can be imported.")
        extras = []
        if source.suffix.lower() == ".onnx":  # an ONNX export's tokenizer sits beside it
            extras = [p for p in (source.parent / "tokenizer.json",) if p.is_file()]
        return source, extras
    files = sorted(p for p in source.iterdir() if p.is_file() and not p.name.startswith("."))
    if len(files) > MAX_FILES:
        raise MMRagError(f"{source} holds {len(files)} files; import the model file itself.")
    models = [p for p in files if p.suffix.lower() in MODEL_SUFFIXES]
    if not models:
        raise MMRagError(f"{source} holds no .gguf or .onnx file.")
    if len(models) > 1:
        preferred = [p for p in models if p.name == "model.onnx"]
        if len(preferred) != 1:
            raise MMRagError(f"{source} holds several models ({', '.join(p.name for p in models)}); import one file.")
        models = preferred
    return models[0], [p for p in files if p != models[0] and p.suffix.lower() not in MODEL_SUFFIXES]


def _adopt(file: Path, target_dir: Path) -> dict[str, Any]:
    """Hard-link (same disk: no copy, no extra space) or copy ``file`` into place."""
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / file.name
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    try:
        os.link(file, partial)
    except OSError:
        shutil.copyfile(file, partial)
    digest = hashlib.sha256()
    with open(partial, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    os.replace(partial, target)
    remember_verified(target, digest.hexdigest())
    return {"path": file.name, "sha256": digest.hexdigest(), "size": target.stat().st_size}


def _onnx_role(path: Path) -> tuple[str, list[str]]:
    """Tell an ONNX model's role from its graph inputs and outputs."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    try:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types
        raise MMRagError(f"{path} is not a loadable ONNX model: {str(exc).splitlines()[0][:200]}") from None
    inputs = {i.name: i.shape for i in session.get_inputs()}
    outputs = [o.shape for o in session.get_outputs()]
    described = [f"{name}{list(shape)}" for name, shape in inputs.items()]
    text = "input_ids" in inputs
    image = any(n in inputs for n in ("pixel_values", "image", "images")) or \
        any(len(s) == 4 for n, s in inputs.items() if n != "input_ids")
    first = outputs[0] if outputs else []
    if text and image:
        return "clip", described
    if text:
        single_score = len(first) == 1 or (len(first) == 2 and first[-1] == 1)
        return ("rerank" if single_score else "text-embed"), described
    if image:
        return ("image-embed" if len(first) == 2 else "image"), described
    if "input_features" in inputs:
        return "asr", described
    if "sr" in inputs or "state" in inputs:
        return "vad", described
    raise MMRagError(f"Cannot tell what {path.name} is for (inputs: {', '.join(described)}); pass --role.")


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9._+-]+", "-", text.lower()).strip("-._+")
    return slug or "imported-model"
