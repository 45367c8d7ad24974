"""Test doubles for the model manager that are real where it matters: an HTTP server on
127.0.0.1 (http.server, with Range support and a switch to drop the connection mid-body,
as a flaky mirror does) and a GGUF writer that produces files llama.cpp's format rules
accept (header, metadata, tensor table, aligned data)."""

from __future__ import annotations

import hashlib
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class Blob:
    data: bytes
    #: Close the connection after this many body bytes, for the first N requests.
    drop_after: int | None = None
    drops: int = 0
    #: Ignore Range headers (a server that cannot resume).
    ranges: bool = True


@dataclass
class Server:
    url: str
    blobs: dict[str, Blob]
    #: (path, Range header or None) of every request, in order.
    requests: list[tuple[str, str | None]] = field(default_factory=list)

    def add(self, name: str, data: bytes, **options: Any) -> str:
        self.blobs["/" + name] = Blob(data, **options)
        return f"{self.url}/{name}"


@contextmanager
def http_server() -> Iterator[Server]:
    blobs: dict[str, Blob] = {}
    requests: list[tuple[str, str | None]] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            requests.append((self.path, self.headers.get("Range")))
            blob = blobs.get(self.path)
            if blob is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            start = 0
            header = self.headers.get("Range")
            if header and blob.ranges:
                start = int(header.removeprefix("bytes=").split("-")[0])
                if start >= len(blob.data):
                    self.send_response(416)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(blob.data) - 1}/{len(blob.data)}")
            else:
                self.send_response(200)
            body = blob.data[start:]
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if blob.drop_after is not None and blob.drops > 0:
                blob.drops -= 1
                self.wfile.write(body[: blob.drop_after])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_address[1]}", blobs, requests)
    finally:
        httpd.shutdown()
        httpd.server_close()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _gguf_string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw


def write_gguf(path: Path, metadata: dict[str, str | int], *, tensor_elements: int = 64) -> Path:
    """A GGUF v3 file: string and uint32 metadata, a token list (an array of strings, as
    real vocabularies are), one F32 tensor and its data, aligned to 32 bytes."""
    kvs = [(k, 4, struct.pack("<I", v)) if isinstance(v, int) else (k, 8, _gguf_string(v)) for k, v in metadata.items()]
    tokens = ["<s>", "</s>", "hello", "world"]
    kvs.append(("tokenizer.ggml.tokens", 9,
                struct.pack("<IQ", 8, len(tokens)) + b"".join(_gguf_string(t) for t in tokens)))
    kvs.append(("general.alignment", 4, struct.pack("<I", 32)))
    header = b"GGUF" + struct.pack("<IQQ", 3, 1, len(kvs))
    for key, kind, value in kvs:
        header += _gguf_string(key) + struct.pack("<I", kind) + value
    header += _gguf_string("token_embd.weight") + struct.pack("<I", 1) + struct.pack("<Q", tensor_elements)
    header += struct.pack("<IQ", 0, 0)  # type F32, offset 0
    header += b"\0" * (-len(header) % 32)
    data = struct.pack(f"<{tensor_elements}f", *[i / 10 for i in range(tensor_elements)])
    path.write_bytes(header + data)
    return path
