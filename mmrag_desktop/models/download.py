"""Downloading one model file: resumable, verified, atomic, cancellable.

Bytes go to ``<target>.part``; an interrupted download (dropped connection, Ctrl-C,
cancel) keeps it and the next attempt asks the server for the rest (HTTP Range). Only a
file whose size and sha256 match the catalog is renamed into place, so a half or wrong
file is never where a model is loaded from. A checksum mismatch deletes the download.
Runs only inside :func:`~mmrag_desktop.netguard.allow_network`, on the caller's thread.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from .. import __version__
from ..errors import MMRagError
from ..netguard import allow_network
from .files import Cancelled

CHUNK = 1 << 16
TIMEOUT_S = 30.0
#: Automatic resumes after a dropped connection within one install.
RETRIES = 3
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


class ChecksumError(MMRagError):
    """The downloaded bytes are not the catalogued file (and were deleted)."""


def part_path(target: Path) -> Path:
    return target.with_name(target.name + ".part")


def download(urls: tuple[str, ...], target: Path, *, sha256: str, size: int | None, what: str,
             on_bytes: Callable[[int], None] | None = None, cancel: threading.Event | None = None) -> Path:
    """Fetch the file into ``target`` from the first URL that works; returns ``target``.

    ``on_bytes(n)`` is called for every ``n`` bytes that count towards ``size``
    (including the already-downloaded part of a resumed file). ``size`` None: not
    published; the server's Content-Length is checked instead and the sha256 decides."""
    target.parent.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    for url in urls:
        try:
            _fetch_with_retries(url, target, sha256=sha256, size=size, on_bytes=on_bytes, cancel=cancel)
            return target
        except (Cancelled, ChecksumError):
            raise
        except _Failed as exc:
            errors.append(str(exc))
    raise MMRagError(f"Could not download {what}: {'; '.join(errors)}. "
                     f"Partial data is kept in {part_path(target)} and resumes on the next try.")


class _Failed(Exception):
    pass


class _Dropped(Exception):
    pass


def _fetch_with_retries(url: str, target: Path, *, sha256: str, size: int | None,
                        on_bytes: Callable[[int], None] | None, cancel: threading.Event | None) -> None:
    part = part_path(target)
    reported = 0

    def report(count: int) -> None:
        nonlocal reported
        reported += count
        if on_bytes is not None:
            on_bytes(count)

    for attempt in range(RETRIES + 1):
        # Progress restarts from what the .part holds, so a resume does not count twice.
        if reported and on_bytes is not None:
            on_bytes(-reported)
        reported = 0
        try:
            _fetch(url, part, size=size, report=report, cancel=cancel)
            break
        except _Dropped as exc:
            if attempt == RETRIES:
                raise _Failed(f"{_host(url)} dropped the connection {RETRIES + 1} times ({exc})") from None
    digest = _hash(part)
    if digest != sha256:
        part.unlink(missing_ok=True)
        raise ChecksumError(f"The download of {target.name} from {_host(url)} has the wrong checksum "
                            f"(sha256 {digest[:16]}…, expected {sha256[:16]}…); the downloaded file was removed. "
                            "The server may be serving a different version; try again later or another source.")
    os.replace(part, target)


def _fetch(url: str, part: Path, *, size: int | None, report: Callable[[int], None],
           cancel: threading.Event | None) -> None:
    have = part.stat().st_size if part.exists() else 0
    if size is not None and have > size:
        part.unlink()
        have = 0
    if size is not None and have == size:
        report(have)
        return
    request = urllib.request.Request(url, headers={"User-Agent": f"mmrag-desktop/{__version__}"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        with allow_network():
            response = urllib.request.urlopen(request, timeout=TIMEOUT_S)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # our range starts past the end: start over
            part.unlink(missing_ok=True)
            raise _Dropped("the server refused to resume") from None
        raise _Failed(f"{url} answered HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise _Failed(f"cannot reach {_host(url)} ({exc.reason}); is this computer online?") from None
    except (TimeoutError, OSError) as exc:
        raise _Failed(f"cannot reach {_host(url)} ({exc}); is this computer online?") from None
    with response:
        start = 0
        if have and response.status == 206:
            match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
            if not match or int(match.group(1)) != have:
                raise _Failed(f"{_host(url)} sent a range that does not continue the partial download")
            start = have
        elif response.status != 200 and response.status != 206:
            raise _Failed(f"{url} answered HTTP {response.status}")
        expected = size
        if expected is None and response.headers.get("Content-Length", "").isdigit():
            expected = start + int(response.headers["Content-Length"])
        report(start)
        try:
            with open(part, "r+b" if start else "wb") as handle:
                handle.seek(start)
                handle.truncate()
                written = start
                while True:
                    if cancel is not None and cancel.is_set():
                        raise Cancelled(f"Download cancelled; {written} bytes are kept and resume next time.")
                    block = response.read(CHUNK)
                    if not block:
                        break
                    if size is not None and written + len(block) > size:
                        raise _Failed(f"{url} sent more than the catalogued {size} bytes")
                    handle.write(block)
                    written += len(block)
                    report(len(block))
                handle.flush()
                os.fsync(handle.fileno())
        except (http.client.IncompleteRead, ConnectionError, TimeoutError) as exc:
            raise _Dropped(type(exc).__name__) from None
    if expected is not None and written < expected:
        raise _Dropped(f"got {written} of {expected} bytes")


def _hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _host(url: str) -> str:
    return urlsplit(url).netloc or url
