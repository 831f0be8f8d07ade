"""What every stand-in server shares: a threaded HTTP/1.1 server on 127.0.0.1 (a free
port), started on creation, stopped once (also as a context manager), each request read
whole (chunked too) and handed to the stand-in's `_answer`, its reply written back."""

from __future__ import annotations

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, BinaryIO, Protocol, Self


class Reply(Protocol):
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class Served:
    """A stand-in's server side. Subclasses call `_serve(name)` once their state is
    set, and answer in `_answer(method, target, headers, raw)`."""

    #: how the stand-in spells its Content-Length header (Elasticsearch: lower case)
    LENGTH_HEADER = "Content-Length"

    def _serve(self, name: str) -> str:
        """Start serving; the base URL (http://127.0.0.1:PORT)."""
        self._stopping = threading.Event()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=name,
            daemon=True,
        )
        self._thread.start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop serving. Idempotent."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _answer(self, method: str, target: str, headers: Any, raw: bytes) -> Reply:
        raise NotImplementedError

    def _body(self, headers: Any, raw: bytes) -> bytes:
        """The request body as the stand-in reads it (a stand-in may decode it)."""
        return raw


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, standin: Served) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.standin = standin

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (a timeout test, a closed pool) is not an error here."""
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the clients' connection pools expect
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stall
    server: _Server

    def do_GET(self) -> None:
        standin = self.server.standin
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            raw = _read_chunked(self.rfile)
        else:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        reply = standin._answer(self.command, self.path, self.headers, standin._body(self.headers, raw))
        if standin._stopping.is_set():  # stopped: no answer, even on a kept-alive connection
            self.close_connection = True
            return
        self.send_response_only(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header(standin.LENGTH_HEADER, str(len(reply.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    do_POST = do_PUT = do_DELETE = do_HEAD = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output free of access-log lines."""


def _read_chunked(stream: BinaryIO) -> bytes:
    body = bytearray()
    while True:
        size = int(stream.readline().split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while stream.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return bytes(body)
        body += stream.read(size)
        stream.readline()
