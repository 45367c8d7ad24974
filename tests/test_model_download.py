"""Downloading a catalogued model, against a real HTTP server on 127.0.0.1: progress,
resume after a dropped connection, wrong checksum, 404, unreachable host, cancel; and
the runtime network guard that keeps everything else offline."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from model_fixtures import Server, http_server, sha256

from mmrag_desktop import models, netguard
from mmrag_desktop.errors import MMRagError
from mmrag_desktop.models import catalogs as catalog_module
from mmrag_desktop.models.download import ChecksumError
from mmrag_desktop.testing import NetworkAccessError

BLOB = os.urandom(300_000)  # several 64 KiB chunks


@pytest.fixture
def server() -> Iterator[Server]:
    with http_server() as running:
        yield running


def add_entry(monkeypatch: pytest.MonkeyPatch, model_id: str, url: str | list[str], data: bytes = BLOB,
              **extra: Any) -> None:
    """Put a URL-sourced model into the packaged catalog (for this test only)."""
    raw = {"id": model_id, "role": "llm", "licence": "MIT", "source": {"url": "https://example.org/model"},
           "files": [{"path": "weights.gguf", "sha256": sha256(data), "size": len(data), "url": url}], **extra}
    original = catalog_module.packaged_raw
    monkeypatch.setattr(catalog_module, "packaged_raw", lambda: [*original(), raw])


def target(model_id: str) -> Path:
    return Path(os.environ["MMRAG_MODELS_DIR"]) / model_id / "weights.gguf"


def test_download_reports_progress_lands_atomically_and_verifies(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    add_entry(monkeypatch, "tiny", server.add("tiny.gguf", BLOB))
    assert {r["id"]: r["state"] for r in models.status()}["tiny"] == "downloadable"
    seen: list[tuple[int, int]] = []
    path = models.install("tiny", on_progress=lambda done, total: seen.append((done, total)))
    assert path == target("tiny") and path.read_bytes() == BLOB
    assert not path.with_name("weights.gguf.part").exists()
    assert seen[-1] == (len(BLOB), len(BLOB)) and all(t == len(BLOB) for _, t in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and len(seen) > 3
    assert models.verify("tiny") == [path]
    row = {r["id"]: r for r in models.status()}["tiny"]
    assert row["state"] == "installed" and row["source_kind"] == "url"
    models.install("tiny")  # already there: verified from the stamp, no second request
    assert len(server.requests) == 1


def test_dropped_connection_resumes_with_a_range_request(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    add_entry(monkeypatch, "flaky", server.add("flaky.gguf", BLOB, drop_after=100_000, drops=1))
    seen: list[int] = []
    path = models.install("flaky", on_progress=lambda done, total: seen.append(done))
    assert path.read_bytes() == BLOB
    assert server.requests == [("/flaky.gguf", None), ("/flaky.gguf", "bytes=100000-")]
    assert seen[-1] == len(BLOB) and max(seen) == len(BLOB)


def test_interrupted_download_resumes_in_a_later_install(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server keeps dropping: install fails but keeps the part; the next install resumes."""
    monkeypatch.setattr("mmrag_desktop.models.download.RETRIES", 0)
    add_entry(monkeypatch, "later", server.add("later.gguf", BLOB, drop_after=70_000, drops=1))
    with pytest.raises(MMRagError, match=r"dropped the connection.*resumes on the next try"):
        models.install("later")
    part = target("later").with_name("weights.gguf.part")
    assert part.stat().st_size == 70_000 and not target("later").exists()
    models.install("later")
    assert target("later").read_bytes() == BLOB and not part.exists()
    assert server.requests[-1] == ("/later.gguf", "bytes=70000-")


def test_wrong_checksum_removes_the_download(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    add_entry(monkeypatch, "tampered", server.add("t.gguf", BLOB[:-1] + b"\x00" if BLOB[-1] else BLOB[:-1] + b"\x01"),
              data=BLOB)
    with pytest.raises(ChecksumError, match=r"wrong checksum.*downloaded file was removed"):
        models.install("tampered")
    assert not target("tampered").exists() and not target("tampered").with_name("weights.gguf.part").exists()


def test_404_and_unreachable_host_are_clear_errors(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    add_entry(monkeypatch, "gone", f"{server.url}/nothing-here.gguf")
    with pytest.raises(MMRagError, match="HTTP 404"):
        models.install("gone")
    assert not target("gone").exists()
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    add_entry(monkeypatch, "offline", f"http://127.0.0.1:{port}/m.gguf")
    with pytest.raises(MMRagError, match=r"cannot reach 127\.0\.0\.1.*online"):
        models.install("offline")


def test_second_mirror_is_used_when_the_first_fails(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    add_entry(monkeypatch, "mirrored", [f"{server.url}/missing.gguf", server.add("m.gguf", BLOB)])
    assert models.install("mirrored").read_bytes() == BLOB


def test_cancel_keeps_the_part_and_the_next_install_resumes(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    add_entry(monkeypatch, "cancelled", server.add("c.gguf", BLOB))
    cancel = threading.Event()

    def stop_after_100k(done: int, total: int) -> None:
        if done >= 100_000:
            cancel.set()

    with pytest.raises(models.Cancelled, match="cancelled"):
        models.install("cancelled", on_progress=stop_after_100k, cancel=cancel)
    part = target("cancelled").with_name("weights.gguf.part")
    assert not target("cancelled").exists() and 100_000 <= part.stat().st_size < len(BLOB)
    kept = part.stat().st_size
    assert models.install("cancelled").read_bytes() == BLOB
    assert server.requests[-1] == ("/c.gguf", f"bytes={kept}-")


def test_server_without_range_support_restarts_cleanly(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    add_entry(monkeypatch, "norange", server.add("n.gguf", BLOB, drop_after=50_000, drops=1, ranges=False))
    assert models.install("norange").read_bytes() == BLOB


def test_library_api_installs_and_removes(server: Server, monkeypatch: pytest.MonkeyPatch, fts_library) -> None:  # type: ignore[no-untyped-def]
    add_entry(monkeypatch, "via-library", server.add("v.gguf", BLOB))
    path = fts_library.install_model("via-library", on_progress=None, cancel=threading.Event())
    rows = {r["id"]: r for r in fts_library.model_listing()}
    assert rows["via-library"]["state"] == "installed" and rows["via-library"]["paths"] == [str(path)]
    fts_library.remove_model("via-library")
    assert not path.exists() and not path.parent.exists()
    assert {r["id"]: r for r in fts_library.model_listing()}["via-library"]["state"] == "downloadable"
    with pytest.raises(MMRagError, match="not installed; nothing to remove"):
        fts_library.remove_model("via-library")


def test_runtime_guard_blocks_the_network_except_inside_the_installer(monkeypatch: pytest.MonkeyPatch) -> None:
    # Register the current (test-guarded) connect with monkeypatch so enforce() is undone.
    monkeypatch.setattr(socket.socket, "connect", socket.socket.connect)
    monkeypatch.setattr(socket.socket, "connect_ex", socket.socket.connect_ex)
    netguard.enforce()
    with pytest.raises(netguard.NetworkDisabled, match="offline"), socket.socket() as sock:
        sock.connect(("192.0.2.1", 80))
    # Inside allow_network the app's guard lets the call through; the suite's own guard
    # (underneath) then refuses it, proving the app guard did not.
    with netguard.allow_network(), pytest.raises(NetworkAccessError), socket.socket() as sock:
        sock.connect(("192.0.2.1", 80))
    # Another thread is not let through by this thread's permission.
    errors: list[BaseException] = []

    def other_thread() -> None:
        try:
            with socket.socket() as sock:
                sock.connect(("192.0.2.1", 80))
        except BaseException as exc:
            errors.append(exc)

    with netguard.allow_network():
        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
    assert isinstance(errors[0], netguard.NetworkDisabled)
    with socket.socket() as server:  # loopback is always fine
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.socket() as client:
            client.connect(server.getsockname())


def test_too_little_disk_space_fails_before_downloading(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """disk_usage is faked: filling a real disk in a test is not an option."""
    import shutil
    from collections import namedtuple

    add_entry(monkeypatch, "huge", server.add("h.gguf", BLOB))
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(1 << 30, 1 << 30, 1 << 20))
    with pytest.raises(MMRagError, match=r"Not enough disk space for weights\.gguf"):
        models.install("huge")
    assert server.requests == []


def test_only_the_installer_may_pass_the_runtime_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the app's guard on (as `mmrag` runs), a download the user asked for gets past
    it — and is then stopped by the suite's own guard below it, which is how we can tell
    without a network — while the same URL fetched anywhere else is refused by the app."""
    import urllib.error
    import urllib.request

    monkeypatch.setattr(socket.socket, "connect", socket.socket.connect)
    monkeypatch.setattr(socket.socket, "connect_ex", socket.socket.connect_ex)
    netguard.enforce()
    add_entry(monkeypatch, "remote", "http://192.0.2.1/model.gguf")
    with pytest.raises(NetworkAccessError):
        models.install("remote")
    with pytest.raises(urllib.error.URLError, match="works offline"):
        urllib.request.urlopen("http://192.0.2.1/model.gguf", timeout=5)


def test_progress_is_reported_in_steps_not_per_block() -> None:
    from mmrag_desktop.models.manager import _Meter

    seen: list[tuple[int, int]] = []
    meter = _Meter(10_000_000, lambda done, total: seen.append((done, total)))
    meter(0)
    for _ in range(10_000):
        meter(1000)
    assert 400 <= len(seen) <= 502 and seen[0] == (0, 10_000_000) and seen[-1] == (10_000_000, 10_000_000)
    meter(-5_000_000)  # a restarted download goes back: reported at once
    assert seen[-1] == (5_000_000, 10_000_000)


def test_an_assembled_file_is_downloaded_whole_when_its_parts_are_not_installed(
        server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = {"id": "parted", "role": "llm", "licence": "MIT", "source": {"pypi_parts": "absent-part1==1.0 absent-part2==1.0"},
           "files": [{"path": "absent_part1/p.bin", "sha256": sha256(BLOB[:1000]), "size": 1000},
                     {"path": "absent_part2/p.bin", "sha256": sha256(BLOB[1000:]), "size": len(BLOB) - 1000}],
           "assembled": {"path": "parted.gguf", "sha256": sha256(BLOB), "size": len(BLOB),
                         "url": server.add("parted.gguf", BLOB)}}
    original = catalog_module.packaged_raw
    monkeypatch.setattr(catalog_module, "packaged_raw", lambda: [*original(), raw])
    assert {r["id"]: r for r in models.status()}["parted"]["state"] == "downloadable"
    with pytest.raises(MMRagError, match="needs a download"):
        models.install("parted", allow_download=False)
    path = models.install("parted")
    assert path == Path(os.environ["MMRAG_MODELS_DIR"]) / "parted.gguf" and path.read_bytes() == BLOB
    assert {r["id"]: r for r in models.status()}["parted"]["state"] == "installed"
    assert models.verify_installed("parted") == [path]


def test_a_download_without_a_published_size_is_checked_by_length_and_sha256(
        server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    # Some publishers pin only a sha256 (e.g. the CLIP exports in the catalog): the
    # server's Content-Length stands in for the size, a dropped connection still
    # resumes, progress has total 0 ("busy"), and the checksum decides.
    add_entry(monkeypatch, "unsized", server.add("unsized.gguf", BLOB, drop_after=100_000, drops=1))
    raw = catalog_module.packaged_raw()[-1]
    del raw["files"][0]["size"]
    assert models.validate(raw) == []
    assert {r["id"]: r for r in models.status()}["unsized"]["size"] is None
    seen: list[tuple[int, int]] = []
    path = models.install("unsized", on_progress=lambda done, total: seen.append((done, total)))
    assert path.read_bytes() == BLOB
    assert server.requests == [("/unsized.gguf", None), ("/unsized.gguf", "bytes=100000-")]
    assert seen[-1] == (len(BLOB), 0) and all(total == 0 for _, total in seen)
    assert {r["id"]: r for r in models.status()}["unsized"]["state"] == "installed"
    bad = dict(raw, files=[{k: v for k, v in raw["files"][0].items() if k != "url"}])
    assert "missing 'size'" in "; ".join(models.validate(bad))  # only a download may leave it out
