"""The one request path of the httpx backends (Alertmanager, the Wazuh indexer): each
transport failure is one line naming the backend, with the kind the pane shows."""

from __future__ import annotations

import socket
import threading
from typing import Iterator

import pytest

from obsconsole.config import HttpAuth
from obsconsole.model import SourceError
from obsconsole.sources.http import async_client, send


@pytest.fixture
def half_answer() -> Iterator[str]:
    """A server that starts an answer and closes the connection halfway through it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n[{\"labels\":")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(2)
    server.close()


async def test_a_connection_closed_mid_answer_is_a_bad_answer_not_an_unreachable_server(half_answer: str) -> None:
    client = async_client(half_answer, HttpAuth(), 2.0)
    try:
        with pytest.raises(SourceError) as raised:
            await send(client, f"alertmanager at {half_answer}", 2.0, "GET", "/api/v2/alerts")
    finally:
        await client.aclose()
    assert raised.value.kind == "bad_response"
    assert raised.value.message == f"alertmanager at {half_answer}: the connection closed before a whole answer"


async def test_a_refused_port_is_unreachable_in_plain_words() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    url = f"http://127.0.0.1:{port}"
    client = async_client(url, HttpAuth(), 2.0)
    try:
        with pytest.raises(SourceError) as raised:
            await send(client, f"wazuh indexer at {url}", 2.0, "GET", "/")
    finally:
        await client.aclose()
    assert raised.value.kind == "unreachable"
    assert raised.value.message == f"wazuh indexer at {url}: cannot connect (refused, or the host is down)"
