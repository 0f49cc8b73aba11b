"""Links and special files in the article inbox: only regular files inside it are read.

Every symbolic link (to a file or a folder, out of the inbox or inside it), FIFO and socket with
an article name is quarantined as ``not_regular_file`` without being read or followed, and a
FIFO never blocks the reader. Real files in tmp_path, no mocks.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from extract.articles import Article, Quarantined, read_path, read_regular_file

TPW = str(Path(sys.executable).parent / "tpw")
GOOD = "Резиденты технополиса наращивают выпуск\nДата публикации: 10.10.2024\nВ технополисе «Москва» открыто свыше 300 рабочих мест.\n"
SECRET = "root:*:19000:0:99999:7::: тайная строка, которой нет в статьях"
TIMEOUT = 20  # seconds; a reader stuck on a FIFO fails the test instead of hanging it


def _hostile_inbox(tmp_path: Path) -> tuple[Path, Path]:
    """An inbox with one good article beside links out of it, a link inside it and a FIFO."""
    outside = tmp_path / "elsewhere"
    (outside / "private").mkdir(parents=True)
    secret = outside / "shadow"
    secret.write_text(SECRET + "\n" + GOOD.replace("300", "999"), encoding="utf-8")
    (outside / "private" / "secret.txt").write_text(SECRET + "\n" + GOOD, encoding="utf-8")

    inbox = tmp_path / "inbox"
    (inbox / "sub").mkdir(parents=True)
    (inbox / "good.txt").write_text(GOOD, encoding="utf-8")
    (inbox / "leak.txt").symlink_to(secret)  # a file outside the inbox
    (inbox / "sub" / "nested-leak.html").symlink_to(secret)
    (inbox / "linked-folder").symlink_to(outside / "private", target_is_directory=True)
    (inbox / "again.txt").symlink_to(inbox / "good.txt")  # inside the inbox: refused too
    (inbox / "dangling.txt").symlink_to(tmp_path / "no-such-file")
    (inbox / "zero.jsonl").symlink_to("/dev/zero")
    (inbox / ".hidden.txt").symlink_to(secret)  # hidden: skipped, as before
    (inbox / "notes.md").symlink_to(secret)  # not an article name: skipped, as before
    os.mkfifo(inbox / "pipe.txt")
    return inbox, secret


def _read_with_timeout(path: Path) -> tuple[list[Article], list[Quarantined]]:
    """read_path in a thread; fails (and unblocks the thread) if it does not return in time."""
    result: list[tuple[list[Article], list[Quarantined]]] = []
    worker = threading.Thread(target=lambda: result.append(read_path(path)), daemon=True)
    worker.start()
    worker.join(TIMEOUT)
    if worker.is_alive():  # stuck in open() on a FIFO: give it a writer so it can end
        for fifo in path.rglob("*") if path.is_dir() else [path]:
            if fifo.is_fifo():
                with contextlib.suppress(OSError):
                    os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(TIMEOUT)
        pytest.fail(f"read_path({path}) blocked for more than {TIMEOUT} s")
    return result[0]


def test_links_and_fifos_are_quarantined_and_the_good_article_is_read(tmp_path: Path) -> None:
    inbox, secret = _hostile_inbox(tmp_path)

    articles, quarantined = _read_with_timeout(inbox)

    assert [a.source for a in articles] == ["good.txt"]
    assert "300 рабочих мест" in articles[0].text
    reasons = {q.source: q.reason for q in quarantined}
    assert reasons == {
        "again.txt": "not_regular_file",
        "dangling.txt": "not_regular_file",
        "leak.txt": "not_regular_file",
        "linked-folder": "not_regular_file",
        "pipe.txt": "not_regular_file",
        "sub/nested-leak.html": "not_regular_file",
        "zero.jsonl": "not_regular_file",
    }
    details = {q.source: q.detail for q in quarantined}
    assert details["leak.txt"] == (
        f"{inbox / 'leak.txt'} is a symbolic link to {str(secret)!r}; "
        "links in the article folder are not followed"
    )
    assert details["pipe.txt"] == (
        f"{inbox / 'pipe.txt'} is a named pipe (FIFO); only regular files are read"
    )
    assert "symbolic link to a folder" in details["linked-folder"]
    assert "nothing under it is read" in details["linked-folder"]
    # Nothing was read from any of them: no hash of their bytes, no trace of the secret.
    assert all(q.source_sha256 is None for q in quarantined)
    everything = repr(articles) + repr(quarantined)
    assert "тайная строка" not in everything and "999" not in everything
    assert "secret.txt" not in everything  # the linked folder was not walked


def test_a_fifo_named_directly_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    articles, quarantined = _read_with_timeout(fifo)
    assert articles == []
    assert [(q.source, q.reason) for q in quarantined] == [("pipe.txt", "not_regular_file")]


def test_a_file_named_directly_may_be_a_link_to_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "link.txt").symlink_to(tmp_path / "real.txt")
    articles, quarantined = read_path(tmp_path / "link.txt")
    assert quarantined == [] and [a.source for a in articles] == ["link.txt"]


def test_a_socket_in_the_inbox_is_quarantined(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "good.txt").write_text(GOOD, encoding="utf-8")
    path = inbox / "sock.txt"
    if len(str(path)) > 100:  # AF_UNIX paths are limited to about 108 bytes
        pytest.skip("tmp_path too long for a Unix socket")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(str(path))
        articles, quarantined = _read_with_timeout(inbox)
    finally:
        server.close()
    assert [a.source for a in articles] == ["good.txt"]
    assert [(q.source, q.reason) for q in quarantined] == [("sock.txt", "not_regular_file")]
    assert "is a socket" in quarantined[0].detail


def test_read_regular_file_refuses_links_and_fifos(tmp_path: Path) -> None:
    (tmp_path / "sources-real.txt").write_text("https://example.org/\n", encoding="utf-8")
    (tmp_path / "secret").write_text(SECRET, encoding="utf-8")
    (tmp_path / "sources.txt").symlink_to(tmp_path / "secret")
    os.mkfifo(tmp_path / "fifo.txt")
    assert read_regular_file(tmp_path / "sources-real.txt") == b"https://example.org/\n"
    for name in ("sources.txt", "fifo.txt"):
        refused = read_regular_file(tmp_path / name)
        assert isinstance(refused, Quarantined) and refused.reason == "not_regular_file"
        assert "тайная" not in refused.detail


def test_tpw_facts_reads_the_good_article_and_skips_the_rest(tmp_path: Path) -> None:
    inbox, _ = _hostile_inbox(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TPW_", "DAGSTER_"))}
    result = subprocess.run(
        [TPW, "facts", str(inbox), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,  # generous for start-up; a FIFO that blocks would hang forever
    )
    assert result.returncode == 0, result.stdout + result.stderr
    facts = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert facts and {f["article"] for f in facts} == {"good.txt"}
    assert any(f["metric"] == "jobs" and f["value"] == 300 for f in facts)
    skipped = [line for line in result.stderr.splitlines() if line.startswith("tpw: skipped ")]
    for source in ("leak.txt", "pipe.txt", "linked-folder", "sub/nested-leak.html", "again.txt"):
        assert any(
            line.startswith(f"tpw: skipped {source}: not_regular_file: ") for line in skipped
        )
    assert "тайная строка" not in result.stdout + result.stderr
