"""Fetching article URLs against a real loopback HTTP server (pytest-httpserver)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from extract import fetch as fetch_module
from extract.articles import Article, Quarantined
from extract.fetch import Resolver, _refusal, fetch_article, read_sources

TITLE = "Экспорт резидентов технополиса «Москва» вырос втрое"
PAGE = f"""<!DOCTYPE html><html lang="ru"><head><title>{TITLE}</title>
<meta property="article:published_time" content="2021-02-12"></head><body>
<div class="ticker">СЕГОДНЯ, 05.12.2025 | КУРСЫ ВАЛЮТ, ЦБР (руб.): USD: 76,9708</div>
<nav><a href="/">Главная</a> <a href="/news">Новости</a></nav>
<article><h1>{TITLE}</h1>
<p>Резиденты технополиса «Москва» по итогам прошлого года экспортировали продукцию на
1,2 миллиарда рублей, что в три раза превышает показатели 2019 года.</p>
<p>Товары были поставлены в более чем 20 стран мира, сообщил заместитель мэра Москвы.</p>
</article><aside>Курс доллара 98,76 рубля</aside><footer>Телефон: 8 800 555-35-35</footer>
</body></html>"""


def fetch(url: str, **kwargs: object) -> Article | Quarantined:
    options: dict[str, object] = {"allow_private": True, "timeout": (2, 5)}
    options.update(kwargs)
    return fetch_article(url, **options)  # type: ignore[arg-type]


def test_reads_an_html_page_through_the_html_path(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/news/1").respond_with_data(
        PAGE.encode("windows-1251"), content_type="text/html; charset=windows-1251"
    )
    url = httpserver.url_for("/news/1")
    article = fetch(url)
    assert isinstance(article, Article), article
    assert (article.source, article.url, article.title) == (url, url, TITLE)
    assert (article.published_date, article.view_date) == (date(2021, 2, 12), date(2025, 12, 5))
    assert "1,2 миллиарда рублей" in article.text
    assert "98,76" not in article.text and "555-35-35" not in article.text
    request, _ = httpserver.log[-1]
    assert request.headers["User-Agent"].startswith("Mozilla/5.0")


def test_plain_text_and_relative_redirects(httpserver: HTTPServer) -> None:
    body = f"{TITLE}\n12.02.2021\n\nРезиденты экспортировали продукцию на 1,2 миллиарда рублей."
    httpserver.expect_request("/old").respond_with_data(
        "", status=301, headers={"Location": "/middle"}
    )
    httpserver.expect_request("/middle").respond_with_data(
        "", status=302, headers={"Location": "new.txt"}
    )
    httpserver.expect_request("/new.txt").respond_with_data(
        body.encode("utf-8"), content_type="text/plain; charset=utf-8"
    )
    article = fetch(httpserver.url_for("/old"))
    assert isinstance(article, Article), article
    assert article.source == httpserver.url_for("/old")
    assert article.url == httpserver.url_for("/new.txt")
    assert (article.title, article.published_date) == (TITLE, date(2021, 2, 12))


def test_loopback_is_refused_without_allow_private(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/news/1").respond_with_data(PAGE, content_type="text/html")
    row = fetch_article(httpserver.url_for("/news/1"))
    assert isinstance(row, Quarantined)
    assert row.reason == "not_allowed"
    assert "resolves to 127.0.0.1, which is loopback" in row.detail
    assert httpserver.log == []  # refused before connecting


def test_a_host_that_resolves_public_but_connects_to_loopback_is_refused(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the check saw a public address, the connection reached 127.0.0.1."""
    checked = fetch_module._refusal

    def public_dns(url: str, allow_private: bool) -> object:
        return checked(url, allow_private, fake_resolver("93.184.216.34"))

    monkeypatch.setattr(fetch_module, "_refusal", public_dns)
    httpserver.expect_request("/news/1").respond_with_data(PAGE, content_type="text/html")
    row = fetch_article(httpserver.url_for("/news/1"))
    assert isinstance(row, Quarantined)
    assert row.reason == "not_allowed"
    assert "connected to 127.0.0.1, which is loopback" in row.detail
    assert httpserver.log == []  # refused on connecting, before the request was sent


@pytest.mark.parametrize(
    "location", ["ftp://example.com/article.txt", "file:///etc/passwd", "gopher://x/1"]
)
def test_redirect_to_another_scheme_is_refused(httpserver: HTTPServer, location: str) -> None:
    httpserver.expect_request("/go").respond_with_data(
        "", status=302, headers={"Location": location}
    )
    row = fetch(httpserver.url_for("/go"))
    assert isinstance(row, Quarantined)
    assert row.reason == "not_allowed"
    assert location in row.detail and "only http and https" in row.detail


def test_redirect_loops_stop_after_five_hops(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/loop").respond_with_data(
        "", status=302, headers={"Location": "/loop"}
    )
    row = fetch(httpserver.url_for("/loop"))
    assert isinstance(row, Quarantined)
    assert (row.reason, row.detail.endswith("redirected more than 5 times")) == (
        "fetch_failed",
        True,
    )
    assert len(httpserver.log) == 6


def test_size_cap_from_content_length(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * 2_000_000, content_type="text/plain")
    row = fetch(httpserver.url_for("/big"), max_bytes=1_000_000)
    assert isinstance(row, Quarantined)
    assert row.reason == "too_large"
    assert "announces 2,000,000 bytes" in row.detail


def test_size_cap_while_streaming_without_content_length(httpserver: HTTPServer) -> None:
    sent: list[int] = []

    def endless() -> Iterator[bytes]:
        for _ in range(1000):  # 64 MB if nobody stops reading
            sent.append(1)
            yield b"<p>" + b"x" * 65_000 + b"</p>"

    httpserver.expect_request("/stream").respond_with_response(
        Response(endless(), content_type="text/html")
    )
    row = fetch(httpserver.url_for("/stream"), max_bytes=1_000_000)
    assert isinstance(row, Quarantined)
    assert row.reason == "too_large"
    assert "sent more than 1,000,000 bytes" in row.detail
    # The reader stopped long before the end. How far the server got before the connection
    # closed depends on the kernel's socket buffers and the machine's load (104 chunks once on a
    # busy machine), so the bound is the whole body, not a count of chunks.
    assert len(sent) < 1000


def test_slow_server_hits_the_total_deadline(httpserver: HTTPServer) -> None:
    def trickle() -> Iterator[bytes]:
        yield b"<html><body><p>"
        for _ in range(40):  # a byte every 0.1 s: every read succeeds, the whole never ends
            time.sleep(0.1)
            yield b"x"

    httpserver.expect_request("/slow").respond_with_response(
        Response(trickle(), content_type="text/html")
    )
    started = time.monotonic()
    row = fetch(httpserver.url_for("/slow"), timeout=(1, 1.0))
    elapsed = time.monotonic() - started
    assert isinstance(row, Quarantined)
    assert row.reason == "fetch_failed"
    assert "took longer than 1 s" in row.detail
    assert elapsed < 1.8


def test_a_server_that_stalls_late_is_cut_at_the_deadline(httpserver: HTTPServer) -> None:
    def stall() -> Iterator[bytes]:
        yield b"<html><body><p>"
        time.sleep(0.7)
        yield b"x"
        time.sleep(1.5)  # the socket's own read timeout would wait a full second more
        yield b"</p></body></html>"

    httpserver.expect_request("/stall").respond_with_response(
        Response(stall(), content_type="text/html")
    )
    started = time.monotonic()
    row = fetch(httpserver.url_for("/stall"), timeout=(1, 1.0))
    assert isinstance(row, Quarantined)
    assert "took longer than 1 s" in row.detail
    assert time.monotonic() - started < 1.5


def test_http_errors_and_unsupported_types(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/gone").respond_with_data("nope", status=404)
    httpserver.expect_request("/doc.pdf").respond_with_data(
        b"%PDF-1.7", content_type="application/pdf"
    )
    gone = fetch(httpserver.url_for("/gone"))
    pdf = fetch(httpserver.url_for("/doc.pdf"))
    assert isinstance(gone, Quarantined) and isinstance(pdf, Quarantined)
    assert (gone.reason, "HTTP 404" in gone.detail) == ("fetch_failed", True)
    assert (pdf.reason, "application/pdf" in pdf.detail) == ("unsupported", True)


def test_unreachable_server_is_fetch_failed() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    row = fetch(f"http://127.0.0.1:{port}/news")
    assert isinstance(row, Quarantined)
    assert row.reason == "fetch_failed"


def fake_resolver(address: str) -> Resolver:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    return lambda host, port, **kwargs: [(family, socket.SOCK_STREAM, 6, "", (address, port))]


@pytest.mark.parametrize(
    ("address", "kind"),
    [("10.1.2.3", "private"), ("192.168.0.1", "private"), ("169.254.169.254", "link-local"),
     ("::1", "loopback"), ("::ffff:127.0.0.1", "loopback"), ("224.0.0.251", "multicast"),
     ("0.0.0.0", "unspecified"), ("240.0.0.1", "reserved"), ("100.64.0.1", "non-public")],
)  # fmt: skip
def test_non_public_addresses_are_refused(address: str, kind: str) -> None:
    refusal = _refusal("https://news.example/a", False, fake_resolver(address))
    assert refusal is not None
    reason, detail = refusal
    assert reason == "not_allowed"
    assert "news.example resolves to" in detail
    assert f"which is {kind}; only public addresses are fetched" in detail


def test_public_addresses_and_schemes() -> None:
    assert _refusal("https://news.example/a", False, fake_resolver("93.184.216.34")) is None
    assert _refusal("javascript:alert(1)", True) == (
        "not_allowed",
        "javascript:alert(1) is a javascript: URL; only http and https URLs are fetched",
    )
    assert _refusal("http:///nohost", True) == ("not_allowed", "http:///nohost names no host")


def test_read_sources(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sources.txt").write_text(
        "# mos.ru news\n\nhttps://mos.ru/news/1  # exports\nhttps://mos.ru/news/2\n"
        "  https://mos.ru/news/1\n",
        encoding="utf-8",
    )
    (tmp_path / "sub" / "sources.txt").write_text("https://example.com/a#part\n")
    assert read_sources(tmp_path / "sources.txt") == [
        "https://mos.ru/news/1",
        "https://mos.ru/news/2",
    ]
    assert read_sources(tmp_path) == [
        "https://mos.ru/news/1",
        "https://mos.ru/news/2",
        "https://example.com/a#part",
    ]
