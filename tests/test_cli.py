"""The `tpw` command as a user runs it: the demo from scratch, help, and its refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.conftest import PROJECT_ROOT

TPW = str(Path(sys.executable).parent / "tpw")


def clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TPW_", "DAGSTER_"))}
    env.update(
        TPW_WAREHOUSE=str(tmp_path / "warehouse.duckdb"),
        DAGSTER_HOME=str(tmp_path / "dagster_home"),
    )
    return env


def tpw(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TPW, *args], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600
    )


def test_demo_builds_the_warehouse_offline_from_the_samples(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    result = tpw("demo", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "replaying the bundled Bank of Russia samples at http://127.0.0.1:" in out
    assert "marts.fx_rates" in out and "marts.metal_prices" in out
    assert "2026-03-19  USD                  1    83.1259" in out
    # The private build file sits beside the published one, in .build/.
    assert (tmp_path / ".build" / "warehouse.duckdb").is_file()
    conn = duckdb.connect(env["TPW_WAREHOUSE"], read_only=True)
    try:
        windows = conn.execute(
            "select min(rate_date), max(rate_date), count(distinct rate_date) from marts.fx_rates"
        ).fetchone()
        usd_2025 = conn.execute(
            "select value_rub from marts.fx_rates "
            "where currency_code = 'USD' and rate_date = '2025-12-05'"
        ).fetchone()
        metals_2026 = conn.execute(
            "select max(price_date) from marts.metal_prices where price_date >= '2026-01-01'"
        ).fetchone()
    finally:
        conn.close()
    assert str(windows[0]) == "2020-05-01" and str(windows[1]) == "2026-03-19"
    assert windows[2] == 184 + 1 + 17  # May-October 2020, 5 December 2025, 3-19 March 2026
    assert str(usd_2025[0]) == "76.9708"
    assert str(metals_2026[0]) == "2026-03-05"  # metals only where real figures exist
    # The run is recorded in the persistent Dagster home, so `make ui` shows it.
    assert (tmp_path / "dagster_home" / "dagster.yaml").is_file()
    assert list((tmp_path / "dagster_home").glob("history/runs*"))


@pytest.mark.parametrize("command", [[], ["demo"], ["run"], ["sql"]])
def test_help_describes_every_command(command: list[str], tmp_path: Path) -> None:
    result = tpw(*command, "--help", env=clean_env(tmp_path))
    assert result.returncode == 0
    assert "usage: tpw" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--start", "2020-07-31", "--end", "2020-06-01"], "is before --start"),
        (["run", "--start", "2999-01-01"], "is in the future"),
        (["run", "--start", "1997-12-31", "--end", "1998-01-02"], "history starts on 1998-01-01"),
        (["sql", "select 1"], "no warehouse at"),
    ],
)
def test_refusals_are_one_line(args: list[str], message: str, tmp_path: Path) -> None:
    result = tpw(*args, env=clean_env(tmp_path))
    assert result.returncode == 1
    assert result.stderr.startswith("tpw: error:") and message in result.stderr
    assert result.stderr.count("\n") == 1


def test_bad_date_is_a_usage_error(tmp_path: Path) -> None:
    result = tpw("run", "--start", "01/06/2020", env=clean_env(tmp_path))
    assert result.returncode == 2
    assert "is not a date like 2020-06-01" in result.stderr


def test_facts_prints_one_json_object_per_fact(tmp_path: Path) -> None:
    article = tmp_path / "zelenograd.txt"
    article.write_text(
        "В «Алабушево» открыли новый корпус\n"
        "Дата публикации: 14.05.2024\n"
        "Резидент технопарка «Алабушево» компания «Квантэкс» по итогам прошлого года "
        "экспортировала оборудование на 2,5 млрд рублей, в том числе в Индию и Вьетнам.\n"
        "Звоните: +7 (495) 555-12-34.\n",
        encoding="utf-8",
    )
    result = tpw("facts", str(article), "--json", env=clean_env(tmp_path))
    assert result.returncode == 0, result.stderr
    facts = [json.loads(line) for line in result.stdout.splitlines()]
    required = {"article", "metric", "value", "unit", "qualifier", "period_start", "period_end",
                "subject", "region", "product", "evidence", "char_start", "char_end"}  # fmt: skip
    assert all(required <= set(fact) for fact in facts)
    volume = next(f for f in facts if f["metric"] == "export_volume")
    assert (volume["value"], volume["unit"], volume["subject"]) == (2.5e9, "RUB", "Квантэкс")
    assert (volume["period_start"], volume["period_end"]) == ("2023-01-01", "2023-12-31")
    assert volume["quote"] == "2,5 млрд рублей"
    assert {f["region"] for f in facts if f["metric"] == "export_destination"} == {
        "Индия",
        "Вьетнам",
    }
    assert all(f["article"] == "zelenograd.txt" for f in facts)
    assert "555" not in json.dumps([f["value"] for f in facts])


def test_facts_on_a_missing_path_is_one_line(tmp_path: Path) -> None:
    result = tpw("facts", str(tmp_path / "nothing.txt"), env=clean_env(tmp_path))
    assert result.returncode == 1
    assert result.stderr.startswith("tpw: error: no such file or folder")


# --------------------------------------------------------------------------- failed ERROR checks


JUMP_TEST = "day_over_day_change_within_fx_rates_change_pct"


def test_a_failed_error_check_fails_tpw_run(tmp_path: Path) -> None:
    """A rate 40% off its neighbours fails dbt's test day_over_day_change_within, an ERROR check
    in Dagster (meta dagster_severity; a negative
    one never gets that far: the client refuses it). The run still publishes and Dagster calls
    it a success, but `tpw run` must exit non-zero so that cron hears of it."""
    from extract.cbr_replay import CbrReplayServer
    from tests.conftest import archive_with_usd_jump

    broken = archive_with_usd_jump()
    env = clean_env(tmp_path)
    (tmp_path / "inbox").mkdir()
    env.update(TPW_CURRENCIES="USD,EUR", TPW_ARTICLES_DIR=str(tmp_path / "inbox"))
    with CbrReplayServer(broken) as server:
        env["TPW_CBR_URL"] = server.url
        result = tpw("run", "--start", "2020-06-08", "--end", "2020-06-12", "--json", env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr  # no stack traces
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("tpw: error: 1 ERROR asset check failed: "), result.stderr
    assert f"marts/fx_rates:{JUMP_TEST}" in last
    assert "2 rows the Bank would not publish" in last  # the jump up, then down
    assert "metal_prices" not in last  # its checks passed
    report = json.loads(result.stdout)
    assert report["success"] is False and report["ok"] is False
    assert report["error"].startswith("1 ERROR asset check failed: ")
    assert [c.split(" ")[0] for c in report["failed_checks"]] == [f"marts/fx_rates:{JUMP_TEST}"]
    # The rest was published all the same, the jump included for analysts to see.
    conn = duckdb.connect(env["TPW_WAREHOUSE"], read_only=True)
    try:
        jumps = conn.execute("select count(*) from marts.fx_rates where change_pct > 25").fetchone()
    finally:
        conn.close()
    assert jumps == (1,)


def test_only_failed_error_checks_decide_the_exit_status() -> None:
    """On a real run of a tiny job: a failed WARN check and a passed ERROR check are fine."""
    from orchestration.progress import RunSummary
    from orchestration.runner import RunFailed, failed_error_checks, raise_on_failed_checks

    @dg.asset
    def figures() -> int:
        return 1

    def check(name: str, passed: bool, severity: dg.AssetCheckSeverity) -> dg.AssetChecksDefinition:
        @dg.asset_check(asset=figures, name=name)
        def _check() -> dg.AssetCheckResult:
            return dg.AssetCheckResult(
                passed=passed, severity=severity, description="2 rows\nthe Bank would not publish"
            )

        return _check

    checks = [
        check("warns", False, dg.AssetCheckSeverity.WARN),
        check("holds", True, dg.AssetCheckSeverity.ERROR),
        check("breaks", False, dg.AssetCheckSeverity.ERROR),
    ]
    result = dg.materialize([figures, *checks], instance=dg.DagsterInstance.ephemeral())
    assert result.success  # Dagster does not fail the run for it
    failed = failed_error_checks(result)
    assert failed == ["figures:breaks (2 rows)"]
    raise_on_failed_checks(RunSummary())  # nothing failed: no error
    with pytest.raises(RunFailed, match=r"^1 ERROR asset check failed: figures:breaks \(2 rows\)$"):
        raise_on_failed_checks(RunSummary(failed_checks=failed))


def test_tpw_sql_without_a_query_says_so(tmp_path: Path) -> None:
    result = tpw("sql", "", env=clean_env(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'tpw: error: no query given: tpw sql "select * from marts.fx_rates limit 5"'
    )


def test_tpw_sql_in_a_pipe_stops_quietly_like_a_unix_tool(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    conn = duckdb.connect(env["TPW_WAREHOUSE"])
    conn.execute("create schema marts; create table marts.numbers as select * from range(300000)")
    conn.close()
    # the reader stops after two lines; tpw must not print «Broken pipe» nor a traceback
    pipe = subprocess.run(
        f"{TPW} sql 'select * from marts.numbers' | head -2; echo status=${{PIPESTATUS[0]}}",
        shell=True, executable="/bin/bash", env=env, cwd=PROJECT_ROOT, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert pipe.stdout.splitlines()[-1] == "status=141", pipe.stdout + pipe.stderr
    assert pipe.stderr == ""
    assert pipe.stdout.splitlines()[0].strip() == "range"


def test_tpw_sql_keeps_duckdbs_hints(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    conn = duckdb.connect(env["TPW_WAREHOUSE"])
    conn.execute("create schema marts; create table marts.fx_rates (rate_date date, value_rub int)")
    conn.close()
    table = tpw("sql", "select * from fx_rates", env=env)  # the schema forgotten
    assert table.returncode == 1
    assert table.stderr.startswith("tpw: error: Catalog Error: Table with name fx_rates does not")
    assert 'Did you mean "marts.fx_rates"' in table.stderr
    column = tpw("sql", "select valu_rub from marts.fx_rates", env=env)
    assert column.returncode == 1
    assert "Candidate bindings" in column.stderr and '"value_rub"' in column.stderr
    assert "LINE 1: select valu_rub" in column.stderr  # the pointer into the query too
    assert "Traceback" not in table.stderr + column.stderr
