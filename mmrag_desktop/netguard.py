"""The app is offline at run time: once :func:`enforce` ran, opening a connection to
anything but this machine fails, except on a thread inside :func:`allow_network`.

Only the model installer enters :func:`allow_network`, and only when the user asked for a
download; every other code path (plugins included) stays offline even if some library
would like to phone home. The CLI enforces it at start; the GUI should too.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_allowed = threading.local()


class NetworkDisabled(ConnectionRefusedError):
    """Raised instead of connecting; a ConnectionError, so callers treat it as 'offline'."""


def is_loopback(address: object) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    host = address[0] if isinstance(address, tuple) else address
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False  # a host name: connecting to it would leave the machine


def network_allowed() -> bool:
    return getattr(_allowed, "depth", 0) > 0


@contextmanager
def allow_network() -> Iterator[None]:
    """Let this thread (only) open outside connections until the block ends."""
    _allowed.depth = getattr(_allowed, "depth", 0) + 1
    try:
        yield
    finally:
        _allowed.depth -= 1


def _check(address: object) -> None:
    if not network_allowed() and not is_loopback(address):
        raise NetworkDisabled(f"MM-RAG Desktop works offline: connection to {address!r} refused "
                              "(only `mmrag models install` downloads, when you ask it to)")


def _wrap(original: Any) -> Any:
    def connect(self: socket.socket, address: object) -> Any:
        _check(address)
        return original(self, address)

    connect.__mmrag_guard__ = True  # type: ignore[attr-defined]
    return connect


def enforce() -> None:
    """Install the guard on :class:`socket.socket` (idempotent)."""
    for name in ("connect", "connect_ex"):
        current = getattr(socket.socket, name)
        if not getattr(current, "__mmrag_guard__", False):
            setattr(socket.socket, name, _wrap(current))
