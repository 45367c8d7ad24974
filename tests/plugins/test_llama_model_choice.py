"""llm_model "auto": the small default on a CPU build, the larger model where llama.cpp
can offload to a GPU and the larger model is installed.

No GPU build can run here: ``llama_supports_gpu_offload`` (llama-cpp-python's function,
not ours) is replaced to answer as a CUDA build does. The model manager is the real one,
given a sparse file of the larger model's exact size where it installs it."""

from __future__ import annotations

import pytest

llama_cpp = pytest.importorskip("llama_cpp")

from mmrag_desktop import models  # noqa: E402
from mmrag_llama import DEFAULT_MODEL, LARGER_MODEL, choose_model  # noqa: E402


def test_an_explicit_model_is_kept_and_a_cpu_build_gets_the_default() -> None:
    assert choose_model("my-model.gguf") == "my-model.gguf"
    assert choose_model(LARGER_MODEL) == LARGER_MODEL
    # This machine's build is CPU-only (the portable wheel install.sh makes).
    assert not llama_cpp.llama_supports_gpu_offload()
    assert choose_model("auto") == DEFAULT_MODEL


def test_with_a_gpu_build_auto_takes_the_larger_model_once_it_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llama_cpp, "llama_supports_gpu_offload", lambda: True)  # stands in for a CUDA build
    (assembly,) = models.entry(LARGER_MODEL).assemblies
    target = models.target_path(assembly)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as sparse:  # the right size, no disk used: installed as far as listing goes
        sparse.truncate(assembly.size)
    assert choose_model("auto") == LARGER_MODEL
    target.unlink()
    if models.manager.model_state(models.entry(LARGER_MODEL)) not in ("installed", "available"):
        assert choose_model("auto") == DEFAULT_MODEL  # not installed (and no parts packages): the default
