"""Fetching article URLs safely, and reading the ``sources.txt`` lists that name them.

:func:`fetch_article` treats every URL and every server as hostile: only http and https; the host
must resolve to public addresses (loopback, private, link-local, multicast and reserved ones are
refused unless ``allow_private``), checked again for each redirect, which are followed by hand (at
most five), and for the address actually connected to; the body is streamed and dropped past
``max_bytes``; and the whole fetch, redirects and body included, has one deadline. Anything that
goes wrong comes back as a :class:`~extract.articles.Quarantined` row, never as an exception.
Pages go through the same code as ``.html`` files (:func:`~extract.articles.article_from_html`).
There are no retries: a failed URL is quarantined and tried again on the next run.
"""

from __future__ import annotations

import contextvars
import ipaddress
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
import urllib3.connection
from requests.adapters import HTTPAdapter

from extract.articles import (
    SOURCES_FILE,
    Article,
    Quarantined,
    QuarantineReason,
    article_from_html,
    article_from_txt,
)
from extract.cbr import BROWSER_USER_AGENT, _reason
from extract.deadline import Deadline

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TEXT_TYPES = frozenset({"text/plain"})
HEADERS = {
    "User-Agent": BROWSER_USER_AGENT,
    "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1",
    "Accept-Language": "ru,en;q=0.8",
}
_CHUNK = 64 * 1024

Resolver = Callable[..., list[tuple]]  # socket.getaddrinfo's shape


def read_sources(path: str | os.PathLike[str]) -> list[str]:
    """URLs from a sources file (one a line; ``#`` comments and blank lines skipped).

    A folder stands for every ``sources.txt`` under it. Order is kept, repeats dropped; URLs are
    not checked here (:func:`fetch_article` refuses the bad ones with a reason).
    """
    root = Path(path)
    files = sorted(root.rglob(SOURCES_FILE)) if root.is_dir() else [root]
    urls: list[str] = []
    for file in files:
        for line in file.read_text(encoding="utf-8-sig").splitlines():
            url = line.split(" #", 1)[0].strip()
            if url and not url.startswith("#") and url not in urls:
                urls.append(url)
    return urls


def _address_kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an address may not be fetched from (``"loopback"``...), or None for a public one."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    for kind in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if address.is_global else "non-public"


def _refusal(
    url: str, allow_private: bool, resolve: Resolver = socket.getaddrinfo
) -> tuple[QuarantineReason, str] | None:
    """Why ``url`` may not be fetched (a reason and a sentence), or None when it may."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        scheme = f"a {parts.scheme}: URL" if parts.scheme else "a URL without a scheme"
        return "not_allowed", f"{url} is {scheme}; only http and https URLs are fetched"
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        return "not_allowed", f"{url} has an invalid port"
    if not host:
        return "not_allowed", f"{url} names no host"
    if allow_private:
        return None
    default_port = 443 if parts.scheme.lower() == "https" else 80
    try:
        infos = resolve(host, port or default_port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        return "fetch_failed", f"cannot resolve {host} for {url}: {exc}"
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if kind := _address_kind(address):
            return "not_allowed", (
                f"{url}: {host} resolves to {address}, which is {kind}; "
                "only public addresses are fetched"
            )
    return None


class _AddressRefused(Exception):
    """A connection reached a non-public address although its host resolved to public ones."""


_deadline: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar(
    "extract_fetch_deadline", default=None
)


class _Watched:
    """Registers each socket it makes with the running fetch's :class:`Deadline`: the plain
    socket as soon as it is connected, and the TLS one wrapped around it."""

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        if deadline := _deadline.get():
            deadline.watch(sock)
        return sock

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        if deadline := _deadline.get():
            deadline.watch(self.sock)  # type: ignore[attr-defined]


class _PublicOnly:
    """Checks each new connection's peer address before any request is sent on it."""

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        address = ipaddress.ip_address(str(sock.getpeername()[0]).split("%", 1)[0])
        if kind := _address_kind(address):
            sock.close()
            raise _AddressRefused(f"connected to {address}, which is {kind}")
        return sock


class _WatchedHTTPConnection(_Watched, urllib3.connection.HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, urllib3.connection.HTTPSConnection):
    pass


class _PublicHTTPConnection(_PublicOnly, _WatchedHTTPConnection):
    pass


class _PublicHTTPSConnection(_PublicOnly, _WatchedHTTPSConnection):
    pass


class _WatchedHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _PublicHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _PublicHTTPConnection


class _PublicHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _PublicHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    """An adapter whose direct connections can be cut at the fetch's deadline and, when
    ``public_only``, refuse non-public peers (DNS may change after :func:`_refusal` looked).
    Proxied requests go through requests' own proxy managers."""

    def __init__(self, public_only: bool) -> None:
        self.public_only = public_only
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        if self.public_only:
            pools: dict[str, type[urllib3.HTTPConnectionPool]] = {
                "http": _PublicHTTPPool,
                "https": _PublicHTTPSPool,
            }
        else:
            pools = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}
        self.poolmanager.pool_classes_by_scheme = pools


def _content_type(header: str) -> tuple[str, str | None]:
    """``text/html; charset=windows-1251`` -> ``("text/html", "windows-1251")``."""
    mime, *params = (part.strip() for part in header.split(";"))
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip(" \"'"):
            charset = value.strip(" \"'")
    return mime.lower(), charset


def _too_slow(url: str, deadline: Deadline, doing: str) -> Quarantined:
    detail = f"{url} took longer than {deadline.total:g} s, the deadline for the whole fetch"
    detail += f" ({doing})"
    return Quarantined(url, "fetch_failed", detail)


def _read_body(
    response: requests.Response, url: str, current: str, max_bytes: int, deadline: Deadline
) -> bytes | Quarantined:
    length = response.headers.get("Content-Length", "").strip()
    if length.isdigit() and int(length) > max_bytes:
        detail = f"{url} announces {int(length):,} bytes, over the {max_bytes:,}-byte limit"
        return Quarantined(url, "too_large", detail)
    doing = f"reading the body of {current}"
    chunks: list[bytes] = []
    size = 0
    while True:
        if deadline.passed():
            return _too_slow(url, deadline, doing)
        try:
            chunk = response.raw.read1(_CHUNK, decode_content=True)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            if deadline.passed():
                return _too_slow(url, deadline, doing)
            return Quarantined(url, "fetch_failed", f"{url} broke off: {_reason(exc)}")
        if deadline.expired:  # the watchdog cut the socket: this end of stream is not the server's
            return _too_slow(url, deadline, doing)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            detail = f"{url} sent more than {max_bytes:,} bytes, the limit; the rest was not read"
            return Quarantined(url, "too_large", detail)
        chunks.append(chunk)


def _fetch(
    url: str,
    session: requests.Session,
    allow_private: bool,
    max_bytes: int,
    connect_timeout: float,
    deadline: Deadline,
) -> Article | Quarantined:
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        if refusal := _refusal(current, allow_private):
            reason, detail = refusal
            if current != url:
                detail = f"{url} redirected to {detail}"
            return Quarantined(url, reason, detail)
        remaining = deadline.remaining()
        doing = f"waiting for the answer from {current}"
        if deadline.passed():
            return _too_slow(url, deadline, doing)
        try:
            response = session.get(
                current,
                headers=HEADERS,
                stream=True,
                allow_redirects=False,
                timeout=(min(connect_timeout, remaining), remaining),
            )
        except _AddressRefused as exc:
            detail = f"{current}: {exc}; only public addresses are fetched"
            return Quarantined(url, "not_allowed", detail)
        except requests.RequestException as exc:
            if deadline.passed():
                return _too_slow(url, deadline, doing)
            return Quarantined(url, "fetch_failed", f"cannot fetch {current}: {_reason(exc)}")
        with response:
            # A session passed in makes its own connections: watch the one this answer came on.
            connection = getattr(response.raw, "connection", None)
            deadline.watch(getattr(connection, "sock", None))
            if deadline.passed():
                return _too_slow(url, deadline, doing)
            status = response.status_code
            if status in REDIRECT_STATUSES:
                location = response.headers.get("Location")
                if not location:
                    detail = f"{current} answered HTTP {status} without a Location"
                    return Quarantined(url, "fetch_failed", detail)
                current = urljoin(current, location.strip())
                continue
            if not 200 <= status < 300:
                detail = f"{current} answered HTTP {status} {response.reason or ''}".rstrip()
                return Quarantined(url, "fetch_failed", detail)
            mime, charset = _content_type(response.headers.get("Content-Type", ""))
            if mime and mime not in HTML_TYPES | TEXT_TYPES:
                detail = f"{current} is {mime}, not an HTML page or plain text"
                return Quarantined(url, "unsupported", detail)
            body = _read_body(response, url, current, max_bytes, deadline)
        if isinstance(body, Quarantined):
            return body
        start = body[:2048].lower()
        is_html = mime in HTML_TYPES or (not mime and (b"<html" in start or b"<!doctype" in start))
        read = article_from_html if is_html else article_from_txt
        return read(body, url, current, charset=charset, where=url)
    return Quarantined(url, "fetch_failed", f"{url} redirected more than {MAX_REDIRECTS} times")


def fetch_article(
    url: str,
    *,
    allow_private: bool = False,
    max_bytes: int = 5_000_000,
    timeout: tuple[float, float] = (5, 20),
    session: requests.Session | None = None,
) -> Article | Quarantined:
    """Fetch one article URL: an :class:`Article` (source = ``url``, url = the final URL after
    redirects) or a :class:`Quarantined` row saying why not.

    ``timeout`` is (connect, total): the total is one deadline for the whole fetch (connecting,
    every redirect hop, status line, headers and body); when it passes a watchdog shuts the
    connection down, however slowly the server was trickling, and the URL is quarantined as
    ``took longer than N s``. The session made here ignores proxy settings from the environment
    and checks each connection's peer address as it connects (DNS may answer differently the
    second time). A ``session`` passed in is used as is (proxies, retries, cookies): its URLs and
    redirects are still checked by resolving them, but its connections are not, and only its
    kept-alive connections can be cut at the deadline (otherwise each read is bounded by the
    time left when the request was sent). Name lookups are not cut at the deadline.
    """
    own = session is None
    if session is None:
        session = requests.Session()
        session.trust_env = False
        session.mount("http://", _GuardedAdapter(public_only=not allow_private))
        session.mount("https://", _GuardedAdapter(public_only=not allow_private))
    connect_timeout, total = timeout
    deadline = Deadline(total)
    token = _deadline.set(deadline)
    try:
        return _fetch(url.strip(), session, allow_private, max_bytes, connect_timeout, deadline)
    finally:
        _deadline.reset(token)
        deadline.cancel()
        if own:
            session.close()
