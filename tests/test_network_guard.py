"""The suite's own guard: code that opens a non-loopback socket fails the test."""

from __future__ import annotations

import socket

import pytest

from mmrag_desktop.testing import NetworkAccessError


def test_outbound_connection_is_refused() -> None:
    with pytest.raises(NetworkAccessError), socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.connect(("192.0.2.1", 80))  # TEST-NET-1: never routable


def test_loopback_is_allowed() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as client:
            client.connect(server.getsockname())
