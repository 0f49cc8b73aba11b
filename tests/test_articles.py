"""Reading article files: formats, titles and dates, the header ticker, and every quarantine."""

from __future__ import annotations

import json
import logging
import unicodedata
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extract.articles import (
    Article,
    Quarantined,
    TickerQuote,
    article_from_html,
    normalize_text,
    parse_ticker,
    read_path,
)

TICKER = (
    "СЕГОДНЯ, 05.12.2025 | ДРАГ. МЕТАЛЛЫ, ЦБР (руб./г.): ПАЛЛАДИЙ: 3590,74 ПЛАТИНА: 4073,30 "
    "СЕРЕБРО: 144,43 ЗОЛОТО: 10419,09 | КУРСЫ ВАЛЮТ, ЦБР (руб.): EUR: 89,9011 USD: 76,9708"
)
TITLE = "Экспорт резидентов технополиса «Москва» вырос втрое"
BODY = (
    "Резиденты технополиса «Москва» по итогам прошлого года экспортировали продукцию "
    "на 1,2 миллиарда рублей, что в три раза превышает показатели 2019 года.\n\n"
    "Товары были поставлены в более чем 20 стран мира."
)
ENGLISH = "Technopolis Moscow residents exported goods worth 1.2 billion roubles last year."


def write(folder: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode(encoding) if isinstance(content, str) else content)
    return path


def read_one(path: Path) -> Article:
    articles, quarantined = read_path(path)
    assert quarantined == []
    assert len(articles) == 1
    return articles[0]


def quarantined_one(path: Path) -> Quarantined:
    articles, quarantined = read_path(path)
    assert articles == []
    assert len(quarantined) == 1
    return quarantined[0]


# --------------------------------------------------------------------------- .txt


def test_utf8_txt_title_date_line_and_text(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", f"\n{TITLE}\nДата публикации: 12.02.2021\n\n{BODY}\n")
    article = read_one(path)
    assert article.source == "a.txt"
    assert article.title == TITLE
    assert article.published_date == date(2021, 2, 12)
    assert article.view_date is None and article.header is None
    assert article.text == BODY
    assert article.language == "ru"
    assert len(article.article_id) == 16
    assert article.content_sha256.startswith(article.article_id)


def test_windows_1251_txt_reads_as_the_same_article(tmp_path: Path) -> None:
    text = f"{TITLE}\r\n12 февраля 2021 г.\r\n\r\n{BODY}\r\n".replace("\n\n", "\r\n\r\n")
    utf8 = read_one(write(tmp_path, "utf8.txt", text))
    cp1251 = read_one(write(tmp_path, "cp1251.txt", text, encoding="windows-1251"))
    assert cp1251.text == utf8.text == BODY
    assert cp1251.title == TITLE
    assert cp1251.published_date == date(2021, 2, 12)
    assert cp1251.article_id == utf8.article_id
    assert cp1251.source_sha256 != utf8.source_sha256


@pytest.mark.parametrize(
    "line",
    ["12.02.2021", "Дата публикации: 12.02.2021", "12 февраля 2021", "12 февраля 2021 г.",
     "2021-02-12", "12.02.2021, 10:30"],
)  # fmt: skip
def test_date_line_forms(tmp_path: Path, line: str) -> None:
    article = read_one(write(tmp_path, "a.txt", f"{TITLE}\n{line}\n{BODY}"))
    assert article.published_date == date(2021, 2, 12)
    assert article.title == TITLE
    assert line not in article.text


def test_date_line_before_the_title_and_no_date_line(tmp_path: Path) -> None:
    first = read_one(write(tmp_path, "a.txt", f"12.02.2021\n{TITLE}\n{BODY}"))
    assert (first.title, first.published_date) == (TITLE, date(2021, 2, 12))
    undated = read_one(write(tmp_path, "b.txt", f"{TITLE}\n{BODY}"))
    assert (undated.title, undated.published_date, undated.text) == (TITLE, None, BODY)


def test_future_date_is_dropped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    future = date.today() + timedelta(days=30)
    with caplog.at_level(logging.WARNING, logger="extract.articles"):
        article = read_one(write(tmp_path, "a.txt", f"{TITLE}\n{future:%d.%m.%Y}\n{BODY}"))
    assert article.published_date is None
    assert article.text == BODY
    assert "in the future" in caplog.text


def test_header_ticker_gives_the_view_date_not_the_publication_date(tmp_path: Path) -> None:
    content = f"{TICKER}\n{TITLE}\n\n{TITLE}\n\n12.02.2021\n\n{BODY}\n"
    article = read_one(write(tmp_path, "seed.txt", content))
    assert article.header == TICKER
    assert article.view_date == date(2025, 12, 5)
    assert article.published_date == date(2021, 2, 12)
    assert article.title == TITLE
    assert article.text == BODY  # no ticker, no repeated title, no date line
    assert "СЕГОДНЯ" not in article.text


def test_header_ticker_without_a_publication_date(tmp_path: Path) -> None:
    article = read_one(write(tmp_path, "seed.txt", f"{TICKER}\n{TITLE}\n{BODY}"))
    assert (article.view_date, article.published_date) == (date(2025, 12, 5), None)


def test_text_is_normalized(tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", "Йошкар-Ола и Алабушево")
    content = f"{TITLE}\r\n{decomposed}   \r\n\r\n\r\n\r\n{BODY}\r\n\r\n"
    article = read_one(write(tmp_path, "a.txt", content))
    assert article.text == f"Йошкар-Ола и Алабушево\n\n{BODY}"
    assert unicodedata.is_normalized("NFC", article.text)


def test_english_article(tmp_path: Path) -> None:
    article = read_one(write(tmp_path, "en.txt", f"Exports triple\n\n{ENGLISH}"))
    assert article.language == "en"


# --------------------------------------------------------------------------- quarantine


@pytest.mark.parametrize("content", [b"", b"   \n\t\r\n  \n"])
def test_empty_files(tmp_path: Path, content: bytes) -> None:
    row = quarantined_one(write(tmp_path, "empty.txt", content))
    assert (row.source, row.reason) == ("empty.txt", "empty")


def test_title_without_text_is_empty(tmp_path: Path) -> None:
    row = quarantined_one(write(tmp_path, "a.txt", f"{TITLE}\n12.02.2021\n"))
    assert row.reason == "empty"
    assert "no text" in row.detail


def test_binary_file(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    row = quarantined_one(write(tmp_path, "picture.txt", png))
    assert row.reason == "binary"
    assert row.source_sha256 is not None


def test_file_over_5_mb_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as file:
        file.truncate(6 * 1024 * 1024)
    row = quarantined_one(path)
    assert row.reason == "too_large"
    assert row.detail == f"{path} is 6,291,456 bytes, over the 5 MB limit"


def test_text_in_neither_utf8_nor_russian_windows_1251(tmp_path: Path) -> None:
    latin1 = "Ceci est un café crème très léger, préparé à Genève. " * 3
    assert quarantined_one(write(tmp_path, "fr.txt", latin1, "latin-1")).reason == "encoding"
    koi8 = f"{TITLE}\n{BODY}".replace("«", '"').replace("»", '"')
    assert quarantined_one(write(tmp_path, "koi8.txt", koi8, "koi8-r")).reason == "encoding"


def test_chinese_only_file_is_quarantined_for_language(tmp_path: Path) -> None:
    chinese = "莫斯科科技园区的居民去年出口了价值十二亿卢布的产品，是二零一九年的三倍。"
    row = quarantined_one(write(tmp_path, "zh.txt", f"科技园区\n{chinese * 2}"))
    assert row.reason == "language"
    assert "neither Russian nor English" in row.detail


def test_too_few_letters_is_a_language_problem(tmp_path: Path) -> None:
    row = quarantined_one(write(tmp_path, "numbers.txt", "2021\n1 200 000 000\n20"))
    assert row.reason == "language"


# --------------------------------------------------------------------------- folders


def test_folder_is_read_recursively_in_order_and_duplicates_share_an_id(tmp_path: Path) -> None:
    write(tmp_path, "b.txt", f"{TITLE}\n{BODY}")
    write(tmp_path, "sub/a copy.txt", f"{TITLE}\r\n\r\n{BODY}\r\n")  # same text, other bytes
    write(tmp_path, "en.TXT", f"Exports triple\n{ENGLISH}")
    write(tmp_path, "notes.csv", "a,b\n1,2\n")
    write(tmp_path, "sources.txt", "https://example.com/news/1\n")
    write(tmp_path, ".hidden.txt", f"{TITLE}\n{BODY}")
    write(tmp_path, "empty.txt", "")
    articles, quarantined = read_path(tmp_path)
    assert [a.source for a in articles] == ["b.txt", "en.TXT", "sub/a copy.txt"]
    assert articles[0].article_id == articles[2].article_id
    assert articles[0].source_sha256 != articles[2].source_sha256
    assert [(q.source, q.reason) for q in quarantined] == [("empty.txt", "empty")]


def test_missing_path_raises_and_other_files_are_unsupported(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such article file or folder"):
        read_path(tmp_path / "nowhere")
    row = quarantined_one(write(tmp_path, "table.csv", "a,b\n"))
    assert row.reason == "unsupported"


# --------------------------------------------------------------------------- .html

PAGE = f"""<!DOCTYPE html>
<html lang="ru"><head><meta charset="{{charset}}"><title>{TITLE} | Новости</title>
{{meta}}
<script>var phone = "+7 (495) 111-22-33"; window.dataLayer = [];</script>
<style>.ticker {{{{ color: red }}}}</style></head>
<body>
<div class="ticker"><span>СЕГОДНЯ, 05.12.2025</span> | ДРАГ. МЕТАЛЛЫ, ЦБР (руб./г.):
 СЕРЕБРО: 144,43 ЗОЛОТО: 10419,09 | <span>КУРСЫ ВАЛЮТ, ЦБР (руб.): EUR: 89,9011
 USD: 76,9708</span></div>
<nav><ul><li><a href="/">Главная</a></li><li><a href="/news">Новости</a></li></ul></nav>
<header><p>Горячая линия: +7 (495) 777-88-99</p></header>
<main><article><h1>{TITLE}</h1>
<p>Резиденты технополиса «Москва» по итогам прошлого года экспортировали продукцию на
1,2 миллиарда рублей, что в три раза превышает показатели 2019 года.</p>
<p>Товары были поставлены в более чем 20 стран мира, сообщил заместитель мэра Москвы.</p>
<p>Наибольшим спросом пользовалась продукция микроэлектроники и медицинской техники.</p>
</article></main>
<aside class="sidebar"><h3>Популярное</h3><ul><li><a href="/a">Курс доллара 98,76 рубля</a></li>
<li><a href="/b">Инфляция 7,4%</a></li></ul></aside>
<footer><p>© 2021 Редакция. Телефон: 8 800 555-35-35. Все права защищены.</p></footer>
<script>console.log("tracking 12345");</script>
</body></html>
"""
PUBLISHED_META = '<meta property="article:published_time" content="2021-02-12T10:00:00+03:00">'


def page(charset: str = "utf-8", meta: str = PUBLISHED_META) -> bytes:
    return PAGE.format(charset=charset, meta=meta).encode(charset)


def test_html_keeps_the_main_text_and_drops_navigation_sidebar_footer_scripts(
    tmp_path: Path,
) -> None:
    article = read_one(write(tmp_path, "news/page.html", page()))
    assert article.source == "page.html"
    assert article.title == TITLE
    assert article.published_date == date(2021, 2, 12)
    assert article.view_date == date(2025, 12, 5)
    assert article.header is not None and parse_ticker(article.header)[-1].instrument == "USD"
    assert "1,2 миллиарда рублей" in article.text
    assert "микроэлектроники" in article.text
    for chrome in ("98,76", "7,4%", "495", "555-35-35", "Главная", "tracking", "СЕГОДНЯ"):
        assert chrome not in article.text, chrome
    assert not article.text.startswith(TITLE)


def test_html_ticker_date_never_becomes_the_publication_date() -> None:
    article = article_from_html(page(meta=""), "page.html")
    assert isinstance(article, Article)
    assert (article.published_date, article.view_date) == (None, date(2025, 12, 5))


def test_html_in_windows_1251(tmp_path: Path) -> None:
    article = read_one(write(tmp_path, "page.htm", page(charset="windows-1251")))
    assert article.title == TITLE
    assert article.text == article_from_html(page(), "x").text  # type: ignore[union-attr]


def test_html_without_main_text_is_empty(tmp_path: Path) -> None:
    html = "<html><head><title>Новости</title></head><body><script>x()</script></body></html>"
    assert quarantined_one(write(tmp_path, "nav.html", html)).reason == "empty"


# --------------------------------------------------------------------------- .jsonl


def test_jsonl_lines_each_become_an_article_or_a_quarantine_row(tmp_path: Path) -> None:
    good = {"id": "mos-1", "url": "https://mos.ru/n/1", "title": TITLE,
            "published_at": "2021-02-12", "text": BODY}  # fmt: skip
    lines = [
        json.dumps(good, ensure_ascii=False),
        "{not json",
        json.dumps({"id": "mos-2", "title": "Без текста"}),
        json.dumps({"id": "mos-3", "published_at": "12/02/2021", "text": BODY}),
        "",
        json.dumps({"id": "mos-4", "published_at": "2021-03-01T09:00:00+03:00", "text": ENGLISH}),
        json.dumps({"text": BODY}),
        "[1, 2]",
    ]
    write(tmp_path, "feed.jsonl", "\n".join(lines) + "\n")
    articles, quarantined = read_path(tmp_path / "feed.jsonl")
    assert [(a.source, a.published_date, a.language) for a in articles] == [
        ("mos-1", date(2021, 2, 12), "ru"),
        ("mos-4", date(2021, 3, 1), "en"),
    ]
    assert articles[0].url == "https://mos.ru/n/1"
    assert articles[0].title == TITLE and articles[0].text == BODY
    assert [(q.source, q.reason) for q in quarantined] == [
        ("feed.jsonl:2", "bad_json"),
        ("feed.jsonl:3", "missing_text"),
        ("feed.jsonl:4", "bad_date"),
        ("feed.jsonl:7", "missing_text"),
        ("feed.jsonl:8", "bad_json"),
    ]
    assert "12/02/2021" in quarantined[2].detail


def test_jsonl_and_txt_with_the_same_text_share_an_article_id(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", f"{TITLE}\n{BODY}")
    write(tmp_path, "feed.jsonl", json.dumps({"id": "x", "text": BODY}) + "\n")
    articles, _ = read_path(tmp_path)
    assert len({a.article_id for a in articles}) == 1
    assert {a.source for a in articles} == {"a.txt", "x"}


# --------------------------------------------------------------------------- the ticker


def test_parse_ticker_reads_exact_values() -> None:
    day = date(2025, 12, 5)
    assert parse_ticker(TICKER) == [
        TickerQuote(day, "palladium", Decimal("3590.74"), "ПАЛЛАДИЙ: 3590,74"),
        TickerQuote(day, "platinum", Decimal("4073.30"), "ПЛАТИНА: 4073,30"),
        TickerQuote(day, "silver", Decimal("144.43"), "СЕРЕБРО: 144,43"),
        TickerQuote(day, "gold", Decimal("10419.09"), "ЗОЛОТО: 10419,09"),
        TickerQuote(day, "EUR", Decimal("89.9011"), "EUR: 89,9011"),
        TickerQuote(day, "USD", Decimal("76.9708"), "USD: 76,9708"),
    ]


def test_parse_ticker_tolerates_spacing_and_missing_parts() -> None:
    quotes = parse_ticker("  сегодня ,05.12.2025|КУРСЫ ВАЛЮТ: CNY:10,8 | ЗОЛОТО :10 419,09")
    assert [(q.quote_date, q.instrument, q.value) for q in quotes] == [
        (date(2025, 12, 5), "CNY", Decimal("10.8")),
        (date(2025, 12, 5), "gold", Decimal("10419.09")),
    ]
    assert parse_ticker("СЕГОДНЯ, 05.12.2025 | реклама") == []


@pytest.mark.parametrize(
    "line",
    ["", "USD: 76,9708 EUR: 89,9011", "Сегодня курс USD: 76,9708", "СЕГОДНЯ, 32.13.2025 | USD: 1",
     "СЕГОДНЯ 05.12.2025 USD: 76,9708", TITLE],
)  # fmt: skip
def test_parse_ticker_on_junk(line: str) -> None:
    assert parse_ticker(line) == []


# --------------------------------------------------------------------------- properties


@given(st.text())
def test_normalize_text_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once
    assert "\r" not in once and "\n\n\n" not in once


@given(st.text(alphabet=st.sampled_from(list("USDEURЗОЛОТОСЕРЕБРО:,.| 0123456789\u00a0"))))
def test_parse_ticker_never_raises_and_values_are_finite(tail: str) -> None:
    for quote in parse_ticker(f"СЕГОДНЯ, 05.12.2025 | {tail}"):
        assert quote.value.is_finite() and quote.quote_date == date(2025, 12, 5)
