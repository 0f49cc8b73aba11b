"""One deadline covers a whole URL fetch: connect, every redirect hop, status line, headers, body.

A socket read timeout bounds one ``recv``; a server that sends a byte just before each timeout
never trips it (an auditor held a 20 s fetch for 79 s by sending the status line a byte a second).
These tests run a raw-socket server on loopback that trickles each part of an answer and check
that the fetch ends at its deadline with a message naming the URL and the deadline.
"""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
import urllib3

from extract import fetch as fetch_module
from extract.articles import Article, Quarantined
from extract.fetch import fetch_article
from tests.loopback import LoopbackServer

DEADLINE = 1.5
MARGIN = 1.0  # a bound on when a timeout fires, not a speed benchmark
TICK = 0.3
PAGE = (
    b"<!DOCTYPE html><html><head><title>Exports tripled</title></head><body><article>"
    b"<h1>Exports tripled</h1><p>Residents of the technopolis exported goods worth 1.2 billion "
    b"roubles last year, three times as much as in 2019, the deputy mayor said.</p>"
    b"</article></body></html>"
)


class TrickleServer(LoopbackServer):
    """A tiny HTTP/1.1 server on a raw socket; each path answers in its own (slow) way."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls
        self.requests: list[str] = []
        super().__init__()

    def url(self, path: str) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}{path}"

    def handle(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(5)
            if self.tls:
                conn = self.tls.wrap_socket(conn, server_side=True)
            with conn:
                while not self.stopped.is_set():  # keep-alive: several requests per connection
                    path = self._read_request(conn)
                    if path is None:
                        return
                    self.requests.append(path)
                    if not self._answer(conn, path):
                        return
        except OSError:  # the client hung up (as it must at its deadline)
            return

    @staticmethod
    def _read_request(conn: socket.socket) -> str | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                return None
            data += chunk
        return data.split(b" ", 2)[1].decode()

    def _answer(self, conn: socket.socket, path: str) -> bool:
        """Answer one request; False closes the connection."""
        ok = f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {len(PAGE)}\r\n\r\n"
        if path == "/fast":
            conn.sendall(ok.encode() + PAGE)
            return True
        if path == "/slow-status-line":
            self.trickle(conn, ok.encode() + PAGE, TICK)
            return False
        if path == "/slow-headers":
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            self.trickle(conn, ok.encode().split(b"\r\n", 1)[1] + PAGE, TICK)
            return False
        if path in ("/slow-body", "/slow-body-close"):
            if path == "/slow-body":  # kept alive, with a length
                head = ok
            else:  # no length: the body ends when the server closes (http.client owns the socket)
                head = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n"
            conn.sendall(head.encode() + PAGE[:40])
            self.trickle(conn, PAGE[40:], TICK)
            return False
        if path.startswith("/hop/"):  # each hop takes a while, each well inside the deadline
            hop = int(path.rsplit("/", 1)[1])
            if self.stopped.wait(0.4):
                return False
            if hop < 4:
                redirect = f"/hop/{hop + 1}"
                conn.sendall(
                    f"HTTP/1.1 302 Found\r\nLocation: {redirect}\r\nContent-Length: 0\r\n\r\n".encode()
                )
                return True
            conn.sendall(ok.encode() + PAGE)
            return True
        conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        return True


@pytest.fixture
def server() -> Iterator[TrickleServer]:
    running = TrickleServer()
    yield running
    running.close()


def timed(call: Callable[[], Article | Quarantined]) -> tuple[Article | Quarantined, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def fetch(url: str, **kwargs: object) -> Article | Quarantined:
    options: dict[str, object] = {"allow_private": True, "timeout": (1.0, DEADLINE)}
    options.update(kwargs)
    return fetch_article(url, **options)  # type: ignore[arg-type]


def assert_cut_at_deadline(row: Article | Quarantined, elapsed: float, url: str) -> None:
    assert isinstance(row, Quarantined), row
    assert row.reason == "fetch_failed"
    assert row.detail.startswith(f"{url} took longer than {DEADLINE:g} s"), row.detail
    assert "the deadline for the whole fetch" in row.detail
    assert DEADLINE - 0.1 < elapsed < DEADLINE + MARGIN, elapsed


def test_a_fast_answer_is_read(server: TrickleServer) -> None:
    row, elapsed = timed(lambda: fetch(server.url("/fast")))
    assert isinstance(row, Article), row
    assert row.title == "Exports tripled"
    assert elapsed < DEADLINE


@pytest.mark.parametrize("path", ["/slow-status-line", "/slow-headers"])
def test_a_status_line_or_headers_sent_a_byte_at_a_time_are_cut_at_the_deadline(
    server: TrickleServer, path: str
) -> None:
    url = server.url(path)
    row, elapsed = timed(lambda: fetch(url))
    assert_cut_at_deadline(row, elapsed, url)
    assert f"waiting for the answer from {url}" in row.detail


@pytest.mark.parametrize("path", ["/slow-body", "/slow-body-close"])
def test_a_body_sent_a_byte_at_a_time_is_cut_at_the_deadline(
    server: TrickleServer, path: str
) -> None:
    url = server.url(path)
    row, elapsed = timed(lambda: fetch(url))
    assert_cut_at_deadline(row, elapsed, url)
    assert f"reading the body of {url}" in row.detail


def test_redirect_hops_share_one_deadline(server: TrickleServer) -> None:
    url = server.url("/hop/0")
    row, elapsed = timed(lambda: fetch(url))
    assert_cut_at_deadline(row, elapsed, url)
    assert "waiting for the answer from " + server.url("/hop/") in row.detail
    assert len(server.requests) < 5
    # the same hops all fit in a longer deadline
    article = fetch(url, timeout=(1.0, 10.0))
    assert isinstance(article, Article), article
    assert article.url == server.url("/hop/4")


def test_a_read_timeout_alone_is_not_enough(server: TrickleServer) -> None:
    """Why the watchdog exists: each byte arrives within any per-read timeout, so requests with
    a read timeout equal to the deadline is still waiting well after the deadline."""
    started = time.monotonic()
    with requests.get(server.url("/slow-body"), timeout=(1.0, DEADLINE), stream=True) as answer:
        while time.monotonic() - started < DEADLINE + MARGIN + 0.5:
            assert answer.raw.read(1)  # still reading, past the deadline
    assert time.monotonic() - started > DEADLINE + MARGIN


def test_a_session_passed_in_has_its_bodies_cut_at_the_deadline(server: TrickleServer) -> None:
    url = server.url("/slow-body")
    with requests.Session() as session:
        row, elapsed = timed(lambda: fetch(url, session=session))
    assert_cut_at_deadline(row, elapsed, url)


def test_no_watchdog_outlives_its_fetch(server: TrickleServer) -> None:
    before = threading.active_count()
    for _ in range(3):
        assert isinstance(fetch(server.url("/fast")), Article)
    time.sleep(0.1)
    assert threading.active_count() <= before + 1  # the server's handler for the last fetch


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[TrickleServer]:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    try:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot make a test certificate with openssl: {exc}")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    running = TrickleServer(tls=context)
    yield running
    running.close()


@pytest.mark.parametrize("path", ["/slow-status-line", "/slow-body-close"])
def test_tls_connections_are_cut_at_the_deadline_too(tls_server: TrickleServer, path: str) -> None:
    """Over TLS the socket the reads block on is the wrapped one; the watchdog cuts it too.
    (The certificate is self-signed, so the session skips verification, with the adapter
    fetch_article mounts on its own sessions.)"""
    url = tls_server.url(path)
    with requests.Session() as session:
        session.verify = False
        session.trust_env = False
        session.mount("https://", fetch_module._GuardedAdapter(public_only=False))
        with pytest.warns(urllib3.exceptions.InsecureRequestWarning):
            row, elapsed = timed(lambda: fetch(url, session=session))
    assert_cut_at_deadline(row, elapsed, url)
