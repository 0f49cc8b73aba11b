"""A nightly run with a hostile inbox: a symlink to a secret, a FIFO, a megabyte of numbers and
one good article. The run ends (within a bound, not a benchmark), publishes the rates and the good
article, and quarantines the rest with reasons; the secret is nowhere in the warehouse."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import duckdb

from extract.cbr_replay import CbrReplayServer
from tests.conftest import PROJECT_ROOT

TPW = str(PROJECT_ROOT / ".venv" / "bin" / "tpw")
SECRET = "root:$6$do-not-publish-this-hash"
GOOD = """Экспорт технополиса вырос

Дата публикации: 05.12.2025

Резиденты технополиса «Москва» в 2025 году экспортировали продукции на 6,1 млрд рублей.
"""


def test_a_hostile_inbox_does_not_stall_the_nightly_run(tmp_path: Path) -> None:
    secret = tmp_path / "elsewhere" / "shadow"
    secret.parent.mkdir()
    secret.write_text(SECRET + "\n", encoding="utf-8")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "good.txt").write_text(GOOD, encoding="utf-8")
    (inbox / "leak.txt").symlink_to(secret)
    os.mkfifo(inbox / "pipe.txt")
    (inbox / "numbers.txt").write_text("123 " * 250_000, encoding="utf-8")  # 1 MB

    env = {k: v for k, v in os.environ.items() if not k.startswith(("TPW_", "DAGSTER_"))}
    env.update(
        TPW_WAREHOUSE=str(tmp_path / "warehouse.duckdb"),
        DAGSTER_HOME=str(tmp_path / "dagster_home"),
        TPW_ARTICLES_DIR=str(inbox),
        TPW_CURRENCIES="USD,EUR",
    )
    with CbrReplayServer() as bank:
        env["TPW_CBR_URL"] = bank.url
        result = subprocess.run(
            [TPW, "run", "--start", "2025-12-05", "--end", "2025-12-05", "--quiet"],
            env=env,
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            # Only a guard against a hang: the article budget (20 s each, 120 s a run) is what
            # bounds the run, and the quarantine rows below show it acted. A wall-clock bound
            # here failed on a loaded machine without anything being wrong.
            timeout=600,
        )
    assert result.returncode == 0, result.stdout + result.stderr

    conn = duckdb.connect(env["TPW_WAREHOUSE"], read_only=True)
    try:
        rates = conn.execute(
            "select currency_code, value_rub from marts.fx_rates "
            "where rate_date = '2025-12-05' order by 1"
        ).fetchall()
        articles = conn.execute("select source from marts.articles").fetchall()
        facts = conn.execute("select metric, value from marts.article_facts").fetchall()
        quarantine = dict(
            conn.execute("select source, reason from marts.article_quarantine").fetchall()
        )
    finally:
        conn.close()
    assert [code for code, _ in rates] == ["EUR", "USD"]
    assert articles == [("good.txt",)]
    assert facts == [("export_volume", 6.1e9)]
    assert set(quarantine) == {"leak.txt", "pipe.txt", "numbers.txt"}
    assert quarantine["leak.txt"] == quarantine["pipe.txt"] == "not_regular_file"
    assert quarantine["numbers.txt"] in {"empty", "language", "too_slow"}  # a line of numbers
    assert SECRET.encode() not in Path(env["TPW_WAREHOUSE"]).read_bytes()
