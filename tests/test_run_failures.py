"""When `tpw run` fails, the user reads one or two lines naming what failed and why, and the
whole story is in a log file; settings are checked before anything loads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from extract.cbr import CbrClient, CbrUnavailable
from extract.cbr_replay import CbrReplayServer
from tests.conftest import PROJECT_ROOT

TPW = str(Path(sys.executable).parent / "tpw")


def environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TPW_", "DAGSTER_"))}
    (tmp_path / "inbox").mkdir(exist_ok=True)
    env.update(
        TPW_WAREHOUSE=str(tmp_path / "warehouse.duckdb"),
        TPW_ARTICLES_DIR=str(tmp_path / "inbox"),
        TPW_CURRENCIES="USD,EUR",
        DAGSTER_HOME=str(tmp_path / "dagster_home"),
    )
    env.update(settings)
    return env


def tpw(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TPW, *args], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600
    )


class BrokenMetals(CbrReplayServer):
    """The Bank's replay, but its metal prices come back as an HTML error page."""

    def respond(self, target: str) -> tuple[int, bytes]:
        if "xml_metall" in target.lower():
            return 200, b"<html><body>Service temporarily unavailable</body></html>"
        return super().respond(target)


def test_an_unknown_currency_is_refused_before_anything_loads(tmp_path: Path) -> None:
    with CbrReplayServer() as server:
        env = environment(tmp_path, TPW_CBR_URL=server.url, TPW_CURRENCIES="USD,XYZ")
        result = tpw("run", "--start", "2020-06-01", "--end", "2020-06-03", env=env)
        asked = [target.split("?")[0] for target in server.requests]
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "tpw: error: TPW_CURRENCIES: the Bank of Russia's catalogue has no currency XYZ"
    ], result.stderr
    assert asked == ["/scripts/XML_valFull.asp"]  # the metals were never asked for
    assert not (tmp_path / ".build" / "warehouse.duckdb").exists()


def test_a_badly_written_currency_is_refused_without_asking_the_bank(tmp_path: Path) -> None:
    env = environment(tmp_path, TPW_CBR_URL="http://127.0.0.1:9", TPW_CURRENCIES="USD,EURO")
    result = tpw("run", "--quiet", env=env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "tpw: error: TPW_CURRENCIES: 'EURO' is not a three-letter ISO code"
    ]


def test_offline_without_tpw_cbr_url_fails_at_once_with_a_hint(tmp_path: Path) -> None:
    # ".invalid" never resolves (RFC 2606): what a machine without network sees for www.cbr.ru.
    env = environment(tmp_path, TPW_CBR_URL="https://www.cbr.invalid")
    result = tpw("run", "--quiet", env=env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("tpw: error: cannot reach the Bank of Russia for https://www.cbr.")
    assert "Failed to resolve" in lines[0] and "TPW_CBR_URL" in lines[0]
    assert "tpw serve-samples" in lines[0]


def test_a_name_that_does_not_resolve_is_not_retried() -> None:
    """Retrying would wait 60 s and more before the second attempt, so the 3 s deadline would
    pass first and the message would say so; it names the resolver's answer instead."""
    client = CbrClient("http://tpw-offline.invalid", backoff_factor=60, deadline=3, max_retries=4)
    with client, pytest.raises(CbrUnavailable) as caught:
        client.get("XML_daily.asp")
    assert "Failed to resolve" in str(caught.value)
    assert "deadline" not in str(caught.value)


def test_a_failed_step_is_two_lines_and_the_log_has_the_rest(tmp_path: Path) -> None:
    with BrokenMetals() as server:
        env = environment(tmp_path, TPW_CBR_URL=server.url)
        result = tpw("run", "--quiet", "--start", "2020-06-01", "--end", "2020-06-03", env=env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith(
        "tpw: error: the run for 2020-06-01..2020-06-03 failed: raw__cbr_metal_prices: "
    )
    assert "xml_metall" in lines[0] and "Traceback" not in result.stderr
    assert lines[1].startswith("tpw: the run's full log: ")
    log = Path(lines[1].removeprefix("tpw: the run's full log: "))
    text = log.read_text(encoding="utf-8")
    assert "== raw__cbr_metal_prices" in text and "File " in text  # with the stack trace
    assert result.stdout == ""  # --quiet


def test_json_failure_is_one_object_with_ok_false(tmp_path: Path) -> None:
    with BrokenMetals() as server:
        env = environment(tmp_path, TPW_CBR_URL=server.url)
        result = tpw("run", "--json", "--start", "2020-06-01", "--end", "2020-06-03", env=env)
    assert result.returncode == 1
    report = json.loads(result.stdout)  # one object, nothing else on stdout
    assert report["ok"] is False
    assert "raw__cbr_metal_prices" in report["error"]
    assert Path(report["log"]).is_file()
    assert len(result.stderr.strip().splitlines()) == 2


def test_json_success_says_ok(tmp_path: Path) -> None:
    with CbrReplayServer() as server:
        env = environment(tmp_path, TPW_CBR_URL=server.url)
        result = tpw("run", "--json", "--start", "2020-06-01", "--end", "2020-06-02", env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["error"] is None
    assert report["tables"]["marts.fx_rates"] == 4
    assert result.stderr == ""
    conn = duckdb.connect(env["TPW_WAREHOUSE"], read_only=True)
    try:
        assert conn.execute("select count(*) from marts.metal_prices").fetchone() == (8,)
    finally:
        conn.close()
