"""The plugin manager: built-ins and third-party plugins, loaded the same way.

Plugins come from the ``mmrag`` entry-point group; the built-in ones are that group's
entries in the ``mmrag-desktop`` distribution itself. A plugin that fails to import,
declares an incompatible hook API or raises inside a hook is disabled with the reason
kept for ``mmrag plugins`` — it never takes the app down.

Environment:
  ``MMRAG_LOAD_PLUGINS``   comma-separated allow-list of third-party plugins (entry-point
                           or distribution names); empty string loads none.
  ``MMRAG_TRACE_PLUGINS``  ``1`` logs every hook call with its duration.
Safe mode (``--safe-mode``) loads the built-ins only.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Any

import pluggy

from . import __version__, hookspecs
from .hookspecs import HOOK_API_VERSION

log = logging.getLogger(__name__)

DISTRIBUTION = "mmrag-desktop"
ENTRY_POINT_GROUP = "mmrag"

#: Used only when the package runs from a source tree without being installed, so no
#: entry points exist; an installed app always goes through the entry points.
DEFAULT_PLUGINS: tuple[tuple[str, str], ...] = (
    ("text", "mmrag_text"),
    ("markdown", "mmrag_text.markdown"),
    ("pdf", "mmrag_pdf"),
    ("code", "mmrag_code"),
    ("table", "mmrag_table"),
    ("html", "mmrag_html"),
    ("docx", "mmrag_docx"),
    ("e5", "mmrag_e5"),
    ("onnx_encoder", "mmrag_onnx_encoder"),
    ("retrievers", "mmrag_retrievers"),
    ("onnx_rerank", "mmrag_onnx_rerank"),
    ("mesh", "mmrag_mesh"),
    ("audio", "mmrag_audio"),
    ("video", "mmrag_video"),
    ("tts", "mmrag_tts"),
    ("image", "mmrag_image"),
    ("faces", "mmrag_faces"),
    ("clip", "mmrag_clip"),
    ("augment", "mmrag_augment"),
    ("llama", "mmrag_llama"),
)


@dataclass
class PluginInfo:
    name: str
    module: str
    source: str  # "built-in" or the distribution name
    version: str
    state: str = "enabled"  # enabled | disabled (by the user) | failed | incompatible | not-allowed
    reason: str | None = None
    hooks: list[str] = field(default_factory=list)
    api: str = ""

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Plugins:
    """One pluggy manager plus the bookkeeping behind ``mmrag plugins``."""

    def __init__(self, *, safe_mode: bool = False, load_entry_points: bool = True) -> None:
        self.pm = pluggy.PluginManager("mmrag")
        self.pm.add_hookspecs(hookspecs)
        self.safe_mode = safe_mode
        self.info: dict[str, PluginInfo] = {}
        self.trace = os.environ.get("MMRAG_TRACE_PLUGINS", "") not in ("", "0")
        if load_entry_points:
            self._load_entry_points()

    # -- loading ----------------------------------------------------------------------

    def _load_entry_points(self) -> None:
        entry_points = list(metadata.entry_points(group=ENTRY_POINT_GROUP))
        builtins = [ep for ep in entry_points if _dist_name(ep) == DISTRIBUTION]
        if builtins:
            for ep in builtins:
                self._load(ep.name, ep.value, "built-in", __version__, lambda ep=ep: ep.load())
        else:
            for name, module in DEFAULT_PLUGINS:
                self._load(name, module, "built-in", __version__, lambda m=module: importlib.import_module(m))
        if self.safe_mode:
            return
        allow_raw = os.environ.get("MMRAG_LOAD_PLUGINS")
        allow = None if allow_raw is None else {p.strip() for p in allow_raw.split(",") if p.strip()}
        # Like llm: a developer's installed plugins never leak into the test suite
        # unless a test names them explicitly.
        if allow is None and getattr(sys, "_called_from_test", False):
            allow = set()
        for ep in entry_points:
            dist = _dist_name(ep)
            if dist == DISTRIBUTION:
                continue
            version = ep.dist.version if ep.dist else "?"
            if allow is not None and ep.name not in allow and dist not in allow:
                self.info[ep.name] = PluginInfo(ep.name, ep.value, dist or "?", version, "not-allowed",
                                                "not in MMRAG_LOAD_PLUGINS")
                continue
            self._load(ep.name, ep.value, dist or "?", version, lambda ep=ep: ep.load())

    def register_module(self, module: ModuleType, name: str | None = None, source: str = "local") -> PluginInfo:
        """Register an already-imported module (tests, embedding apps)."""
        name = name or module.__name__
        return self._load(name, module.__name__, source, getattr(module, "__version__", "?"), lambda: module)

    def _load(self, name: str, module_name: str, source: str, version: str, loader: Callable[[], Any]) -> PluginInfo:
        info = PluginInfo(name, module_name, source, version)
        self.info[name] = info
        try:
            plugin = loader()
        except BaseException as exc:  # a plugin may raise anything while importing, even SystemExit
            if isinstance(exc, KeyboardInterrupt):
                raise
            info.state, info.reason = "failed", f"import failed: {type(exc).__name__}: {exc}"
            log.warning("plugin %s disabled: %s", name, info.reason)
            return info
        declared = str(getattr(plugin, "MMRAG_HOOK_API", HOOK_API_VERSION.split(".")[0]))
        info.api = declared
        supported = {v.strip().split(".")[0] for v in declared.split(",")}
        if HOOK_API_VERSION.split(".")[0] not in supported:
            info.state = "incompatible"
            info.reason = f"written for hook API {declared}, this app provides {HOOK_API_VERSION}"
            return info
        try:
            self.pm.register(plugin, name=name)
        except Exception as exc:
            info.state, info.reason = "failed", f"invalid plugin: {exc}"
            return info
        info.hooks = sorted(impl.name for impl in self.pm.get_hookcallers(plugin) or ())
        return info

    # -- calling hooks ----------------------------------------------------------------

    def collect(self, hook_name: str) -> list[tuple[str, Any]]:
        """Call a ``register_*`` hook on every enabled plugin, isolating failures.

        Returns (plugin name, registered object) pairs, in plugin registration order.
        """
        registered: list[tuple[str, Any]] = []
        for plugin_name, function in self._implementations(hook_name):
            found: list[Any] = []
            if self._call(plugin_name, hook_name, function, {"register": found.append}):
                registered.extend((plugin_name, obj) for obj in found)
        return registered

    def notify(self, hook_name: str, **kwargs: Any) -> None:
        """Call a lifecycle hook (``startup``/``shutdown``) on every enabled plugin."""
        for plugin_name, function in self._implementations(hook_name):
            self._call(plugin_name, hook_name, function, kwargs)

    def _implementations(self, hook_name: str) -> list[tuple[str, Callable[..., Any]]]:
        caller = getattr(self.pm.hook, hook_name)
        # pluggy returns implementations last-registered first; keep registration order.
        impls = list(reversed(caller.get_hookimpls()))
        return [(impl.plugin_name, impl.function) for impl in impls if self.is_enabled(impl.plugin_name)]

    def _call(self, plugin_name: str, hook_name: str, function: Callable[..., Any], kwargs: dict[str, Any]) -> bool:
        started = time.perf_counter()
        try:
            accepted = function.__code__.co_varnames[: function.__code__.co_argcount]
            function(**{k: v for k, v in kwargs.items() if k in accepted})
        except Exception as exc:
            self.disable(plugin_name, f"{hook_name} raised {type(exc).__name__}: {exc}")
            return False
        finally:
            if self.trace:
                log.warning("hook %s.%s took %.1f ms", plugin_name, hook_name, (time.perf_counter() - started) * 1000)
        return True

    def is_enabled(self, plugin_name: str) -> bool:
        info = self.info.get(plugin_name)
        return info is None or info.state == "enabled"

    def disable(self, plugin_name: str, reason: str) -> None:
        info = self.info.setdefault(plugin_name, PluginInfo(plugin_name, plugin_name, "local", "?"))
        info.state, info.reason = "failed", reason
        log.warning("plugin %s disabled: %s", plugin_name, reason)

    def switch_off(self, plugin_name: str) -> None:
        """The user turned this plugin off (a failure reason, if any, is kept)."""
        info = self.info.get(plugin_name)
        if info is not None and info.state == "enabled":
            info.state, info.reason = "disabled", "turned off in settings"

    def switch_on(self, plugin_name: str) -> None:
        info = self.info.get(plugin_name)
        if info is not None and info.state == "disabled":
            info.state, info.reason = "enabled", None

    def listing(self) -> list[PluginInfo]:
        return sorted(self.info.values(), key=lambda i: (i.source != "built-in", i.name))


def _dist_name(ep: metadata.EntryPoint) -> str | None:
    dist = getattr(ep, "dist", None)
    return dist.metadata["Name"] if dist is not None else None
