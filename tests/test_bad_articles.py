"""Bad and hostile article inputs in one inbox: each is quarantined with its reason or read
correctly, and the good articles beside them load."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from extract.article_store import ingest
from extract.articles import read_path
from extract.warehouse import connect_writer

GOOD = "Резиденты технополиса наращивают выпуск\nДата публикации: 10.10.2024\nВ технополисе «Москва» открыто свыше 300 рабочих мест.\n"


def test_a_hostile_inbox_quarantines_the_bad_and_loads_the_good(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "good.txt").write_text(GOOD, encoding="utf-8")
    (inbox / "copy-of-good.txt").write_text(GOOD, encoding="utf-8")  # same text, other name
    (inbox / "empty.txt").write_bytes(b"")
    (inbox / "binary.txt").write_bytes(bytes(range(256)) * 40)
    with open(inbox / "huge.txt", "wb") as handle:  # 50 MB, sparse: refused before reading
        handle.truncate(50 * 1024 * 1024)
    mixed = (
        "Заголовок\n".encode()
        + "Текст в кодировке windows-1251 и ".encode("cp1251")
        + "немного UTF-8".encode()
    )
    (inbox / "mixed.txt").write_bytes(mixed)
    future = GOOD.replace("10.10.2024", "10.10.2999").replace("300", "310")
    (inbox / "future.txt").write_text(future, encoding="utf-8")
    script_page = (
        "<html><head><title>Новость</title><script>document.location='http://evil.example'</script>"
        "</head><body><nav>Главная | Новости | 24 | 365</nav><article><h1>Новость о технополисе</h1>"
        "<p>В технопарке «Руднево» появится 120 рабочих мест, сообщили в технополисе «Москва».</p>"
        "<script>fetch('/steal?c='+document.cookie)</script></article>"
        "<footer>+7 (495) 000-00-00</footer></body></html>"
    )
    (inbox / "scripts.html").write_text(script_page, encoding="utf-8")
    (inbox / "feed.jsonl").write_text(
        json.dumps({"id": "ok-1", "url": "https://example.org/1", "title": "Итоги",
                    "published_at": "2024-05-01", "text": "В технополисе «Москва» работают 250 резидентов."},
                   ensure_ascii=False)
        + "\nnot json at all\n"
        + json.dumps({"id": "no-text"}) + "\n",
        encoding="utf-8",
    )  # fmt: skip

    articles, quarantined = read_path(inbox)
    reasons = {q.source: q.reason for q in quarantined}
    assert reasons == {
        "empty.txt": "empty",
        "binary.txt": "binary",
        "huge.txt": "too_large",
        "mixed.txt": "encoding",
        "feed.jsonl:2": "bad_json",
        "feed.jsonl:3": "missing_text",
    }
    assert all(q.detail for q in quarantined)  # every row says what was wrong
    by_source = {a.source: a for a in articles}
    assert by_source["future.txt"].published_date is None  # a date in the future is not trusted
    assert (
        "document" not in by_source["scripts.html"].text
        and "evil" not in by_source["scripts.html"].text
    )
    assert "120 рабочих мест" in by_source["scripts.html"].text
    assert by_source["good.txt"].article_id == by_source["copy-of-good.txt"].article_id

    build = tmp_path / "build.duckdb"
    with connect_writer(build) as conn:
        summary = ingest(conn, articles, quarantined, complete=True)
    assert summary.quarantined == 6 and summary.duplicates == 1
    conn = duckdb.connect(str(build), read_only=True)
    try:
        stored = conn.execute("select count(*) from raw.articles").fetchone()[0]
        quarantine = conn.execute("select count(*) from raw.quarantine").fetchone()[0]
    finally:
        conn.close()
    assert (
        stored == len({a.article_id for a in articles}) == 4
    )  # good (once), future, scripts, ok-1
    assert quarantine == 6
