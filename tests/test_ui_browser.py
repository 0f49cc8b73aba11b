"""The Dagster UI in a real browser, the way `make ui` shows it to a person.

Playwright (Python) drives Debian's Chromium headless (``/usr/bin/chromium``; Playwright's own
browser download is never used) against a ``dg dev`` this module starts from the repository
root on a free loopback port, with a temporary DAGSTER_HOME (a copy of
``orchestration/dagster.yaml``), a temporary warehouse, and the bundled Bank of Russia samples
served by :class:`extract.cbr_replay.CbrReplayServer` (as `make ui-demo` does). The tests look
at the asset graph, the daily partitions of ``raw/cbr_rates``, the dbt tests shown as checks of
``marts/fx_rates`` and the nightly schedule, then click Materialize on a day the samples cover,
watch the run succeed, and read the loaded rows back from the build DuckDB file.

Without Chromium every test here is SKIPPED with the command that installs it; never passed.
``.ci/run`` installs Debian's ``chromium`` before ``make test``, so CI always runs them.

Screenshots are always saved in a temporary folder (its path is printed: ``pytest -rA`` or
``-s`` shows it). When ``TPW_UI_SCREENSHOTS`` names a folder they are copied there too; this is
how the README's pictures in ``docs/images/`` are refreshed::

    TPW_UI_SCREENSHOTS=docs/images .venv/bin/pytest tests/test_ui_browser.py -q

Selectors are roles and visible text wherever the UI offers them; the few that are not (the
CodeMirror selection box, icon-only buttons found by their icon's ``aria-label``, tooltips)
are explained where they are used.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from extract.cbr_replay import CbrReplayServer
from orchestration.defs.partitions import daily_partitions
from tests.conftest import PROJECT_ROOT

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = playwright_api.expect

CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium keeps calling Google's hosts, and this machine's closed network
    # refuses its connections (see the machine notes).
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 900}
SAMPLE_DAY = date(2020, 6, 5)  # the bundled samples hold real figures for May-October 2020
CURRENCY_IDS = {"USD": "R01235", "EUR": "R01239", "CNY": "R01375"}
LOCATION = "technopolis_warehouse"  # [tool.dg.project] code_location_name
START_TIMEOUT = 180  # seconds for `dg dev` to serve the UI with the definitions loaded
RUN_TIMEOUT = 180  # seconds for the materialization to finish


def find_chromium() -> str | None:
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# No proxy from the environment: the UI is on loopback, and the suite may not leave it.
_http = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def graphql(base_url: str, query: str) -> dict:
    request = urllib.request.Request(
        f"{base_url}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with _http.open(request, timeout=10) as response:
        return json.loads(response.read())


LOCATION_STATUS = """
{ workspaceOrError { __typename ... on Workspace { locationEntries {
    name loadStatus
    locationOrLoadError { __typename ... on PythonError { message stack } }
} } } }
"""


def location_state(base_url: str) -> tuple[str, str | None]:
    """(load status, error) of our code location, as the UI sees it."""
    data = graphql(base_url, LOCATION_STATUS)["data"]["workspaceOrError"]
    for entry in data.get("locationEntries", []):
        if entry["name"] == LOCATION:
            loaded = entry["locationOrLoadError"] or {}
            if loaded.get("__typename") == "PythonError":
                return entry["loadStatus"], loaded["message"] + "".join(loaded["stack"])
            return entry["loadStatus"], None
    return "MISSING", None


def tail(path: Path, lines: int = 60) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def stop_group(process: subprocess.Popen) -> None:
    """Stop `dg dev` and everything it started (webserver, daemon, code servers, run workers)."""
    with contextlib.suppress(ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C sends to a terminal's group
        process.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # whatever is left, run workers included
    process.wait(timeout=10)


class Screenshots:
    """Every picture goes to a temporary folder; with TPW_UI_SCREENSHOTS set, there too."""

    def __init__(self, folder: Path, publish_to: Path | None) -> None:
        self.folder = folder
        self.publish_to = publish_to

    def take(self, page, name: str) -> Path:
        path = self.folder / name
        page.screenshot(path=str(path))
        if self.publish_to is not None:
            self.publish_to.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, self.publish_to / name)
        return path


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        pytest.skip(
            "Chromium is not installed: apt-get install chromium (Debian) — .ci/run installs it"
        )
    return path


@dataclass
class DagsterUI:
    url: str
    env: dict[str, str]
    bank: CbrReplayServer
    log: Path

    def diagnostics(self) -> str:
        return f"--- last lines of `dg dev` ({self.log}):\n{tail(self.log)}"


@pytest.fixture(scope="module")
def dagster_ui(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DagsterUI]:
    """`dg dev` on a free loopback port, with its own home and warehouse, fed by the samples."""
    root = tmp_path_factory.mktemp("ui")
    home = root / "dagster_home"
    home.mkdir()
    shutil.copyfile(PROJECT_ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    (root / "articles").mkdir()
    bin_dir = Path(sys.executable).parent
    with CbrReplayServer() as bank:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TPW_", "DAGSTER_"))}
        env.update(
            DAGSTER_HOME=str(home),
            TPW_WAREHOUSE=str(root / "warehouse.duckdb"),
            TPW_BUILD_WAREHOUSE=str(root / "build" / "warehouse.duckdb"),
            TPW_ARTICLES_DIR=str(root / "articles"),
            TPW_CBR_URL=bank.url,
            TPW_CURRENCIES="USD,EUR,CNY",
            DO_NOT_TRACK="1",
            VIRTUAL_ENV=sys.prefix,  # the venv dg finds in the project: no mismatch warning
            PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        )
        # The article inbox sensor runs by default and would start articles_job (and dbt) the
        # moment the daemon starts, holding the one-writer pool while the run under test waits.
        # Stopped in this instance only (its behaviour is tested in test_articles_dagster).
        workspace = root / "workspace.yaml"
        workspace.write_text(
            "load_from:\n  - python_module:\n"
            f"      module_name: orchestration.definitions\n"
            f"      location_name: {LOCATION}\n"
            f"      working_directory: {PROJECT_ROOT}\n"
        )
        stopped = subprocess.run(
            [str(bin_dir / "dagster"), "sensor", "stop", "article_inbox_sensor", "-w", workspace],
            env=env,
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert stopped.returncode == 0, (
            f"could not stop the sensor:\n{stopped.stdout}\n{stopped.stderr}"
        )

        port = free_port()
        log = root / "dg_dev.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [str(bin_dir / "dg"), "dev", "--port", str(port), "--host", "127.0.0.1"],
                cwd=PROJECT_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, stopped as a whole
            )
        ui = DagsterUI(url=f"http://127.0.0.1:{port}", env=env, bank=bank, log=log)
        try:
            deadline = time.monotonic() + START_TIMEOUT
            status, error = "NOT_SERVING", None
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    pytest.fail(f"`dg dev` exited with {process.returncode}\n{ui.diagnostics()}")
                try:
                    status, error = location_state(ui.url)
                except OSError:
                    status = "NOT_SERVING"
                if error:
                    pytest.fail(f"the definitions did not load in `dg dev`:\n{error}")
                if status == "LOADED":
                    break
                time.sleep(1)
            else:
                pytest.fail(
                    f"`dg dev` not ready in {START_TIMEOUT} s ({status})\n{ui.diagnostics()}"
                )
            # The one-time "Join the Dagster community" dialog would cover the first page.
            graphql(ui.url, "mutation { setNuxSeen }")
            yield ui
        finally:
            stop_group(process)


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Screenshots:
    folder = tmp_path_factory.mktemp("ui_screenshots")
    publish = os.environ.get("TPW_UI_SCREENSHOTS")
    print(f"UI screenshots: {folder}" + (f" (and {publish})" if publish else ""))
    return Screenshots(folder, Path(publish).resolve() if publish else None)


@pytest.fixture(scope="module")
def browser(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    with playwright_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium_profile")),  # a new, empty user-data-dir
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=VIEWPORT,
            device_scale_factor=2,  # sharp pictures for the README (2800x1800 pixels)
            timezone_id="Europe/Moscow",  # times shown as a Moscow analyst sees them
        )
        context.set_default_timeout(30_000)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser, dagster_ui: DagsterUI):
    page = browser.new_page()
    yield page
    page.close()


def shown(page, text: str):
    """The visible element whose text is exactly ``text``. Dagster's middle-truncated labels
    keep a hidden copy of the text for measuring, so a bare text match finds two elements."""
    return page.get_by_text(text, exact=True).filter(visible=True).first


def hide_navigation(page) -> None:
    """More room for a picture: fold Dagster's left navigation (remembered by the browser)."""
    hide = page.get_by_role("button", name="Hide navigation")
    if hide.count():
        hide.click()


# --------------------------------------------------------------------------- the run under test


@dataclass
class LaunchedRun:
    url: str
    run_id: str


@pytest.fixture(scope="module")
def sample_day_run(browser, dagster_ui: DagsterUI) -> LaunchedRun:
    """Materialize raw/cbr_rates for SAMPLE_DAY the way a person does, and follow to its run.

    Launched before the other tests look around, so the run works while they do.
    """
    page = browser.new_page()
    page.goto(f"{dagster_ui.url}/assets/raw/cbr_rates")
    page.get_by_role("button", name="Materialize…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Launch runs to materialize raw / cbr_rates")
    # The dialog offers the last 90 days first; the samples are from 2020.
    dialog.get_by_role("button", name="Show all partitions").click()
    # The partition box has no label; its placeholder shows the syntax from the first day.
    box = dialog.get_by_placeholder(re.compile(r"1998-01-01"))
    box.fill(SAMPLE_DAY.isoformat())
    box.press("Enter")
    expect(dialog).to_contain_text("1 partition")
    dialog.get_by_role("button", name="Launch 1 run").click()
    # A toast says "Launched run <id>" with a View link (styled as a button) to the run.
    toast = page.get_by_text(re.compile(r"Launched run \w+"))
    expect(toast).to_be_visible()
    page.get_by_role("link", name="View", exact=True).click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f-]{36}$"))
    expect(page.get_by_text(f"partition: {SAMPLE_DAY.isoformat()}")).to_be_visible()
    run_id = page.url.rsplit("/", 1)[1]
    url = page.url
    page.close()
    return LaunchedRun(url=url, run_id=run_id)


@pytest.fixture(scope="module")
def finished_run(browser, dagster_ui: DagsterUI, sample_day_run: LaunchedRun, screenshots):
    """Watch the run page until the run ends; the status shown, and the page left open."""
    page = browser.new_page()
    page.goto(sample_day_run.url)
    # The run's status tag: exactly one of these words (steps and events say "Succeeded",
    # "RUN_SUCCESS", ..., never the bare word).
    status = page.get_by_text(re.compile(r"^(Success|Failure|Canceled)$")).first
    try:
        expect(status).to_be_visible(timeout=RUN_TIMEOUT * 1000)
    except AssertionError:
        screenshots.take(page, "ui_run_timeout.png")
        raise AssertionError(
            f"run {sample_day_run.run_id} not finished in {RUN_TIMEOUT} s\n"
            f"{dagster_ui.diagnostics()}"
        ) from None
    yield status.inner_text(), page
    page.close()


# --------------------------------------------------------------------------- the tests


# The run is launched by the first test that asks for `sample_day_run`; the tests that only look
# around ask for it too, so that it works while they look, and those that need it done ask for
# `finished_run`.


def test_materialize_launches_a_run_of_the_sample_day(
    page, dagster_ui: DagsterUI, sample_day_run: LaunchedRun
) -> None:
    page.goto(f"{dagster_ui.url}/runs")
    # The runs list is a grid of divs (no table roles): the run's link, then its tags.
    expect(page.get_by_role("link", name=f"run {sample_day_run.run_id[:8]}")).to_be_visible()
    expect(page.get_by_text(f"partition: {SAMPLE_DAY.isoformat()}").first).to_be_visible()
    expect(page.get_by_text("Manually launched").first).to_be_visible()


def test_the_nightly_schedule_shows_its_cron_and_time_zone(
    page, dagster_ui: DagsterUI, sample_day_run: LaunchedRun, screenshots: Screenshots
) -> None:
    page.goto(dagster_ui.url)
    page.get_by_role("link", name=re.compile(r"Automation$")).click()
    page.get_by_role("link", name="nightly_schedule").click()
    expect(page).to_have_url(re.compile(rf"/locations/{LOCATION}/schedules/nightly_schedule"))
    expect(page.get_by_text("30 1 * * *")).to_be_visible()
    expect(page.get_by_text("Europe/Moscow")).to_be_visible()
    expect(page.get_by_role("link", name="nightly_job")).to_be_visible()
    screenshots.take(page, "ui_schedule.png")


def test_dbt_tests_are_checks_of_the_fx_rates_mart(
    page, dagster_ui: DagsterUI, sample_day_run: LaunchedRun, screenshots: Screenshots
) -> None:
    page.goto(f"{dagster_ui.url}/assets/marts/fx_rates")
    page.get_by_role("tab", name="Checks").click()
    heading = page.get_by_text(re.compile(r"^Checks \(\d+\)$"))
    expect(heading).to_be_visible()
    assert int(re.search(r"\d+", heading.inner_text()).group()) >= 10
    # dbt's generic tests (not_null, unique combination, positive), by name.
    expect(shown(page, "positive_fx_rates_value_rub")).to_be_visible()
    check = shown(page, "not_null_fx_rates_rate_date")
    expect(check).to_be_visible()
    check.click()
    # Its page: dbt's test severity decides whether the check blocks what follows.
    expect(page.get_by_text(re.compile(r"^This is a (non-)?blocking asset check"))).to_be_visible()
    # Long names are shortened in the middle in the list; the full name is in the hidden copy.
    assert page.get_by_text(
        "unique_combination_of_columns_fx_rates_rate_date__currency_code", exact=True
    ).count()
    screenshots.take(page, "ui_checks.png")


def test_the_run_succeeds_and_loads_the_rows(
    finished_run, dagster_ui: DagsterUI, screenshots: Screenshots
) -> None:
    status, page = finished_run
    if status == "Success":
        # The live event log of a page opened mid-run can lag far behind the status (seen: only
        # RUN_START after the run had ended); the finished run's page, loaded afresh, has it all.
        page.reload()
        expect(page.get_by_text("RUN_SUCCESS", exact=True)).to_be_visible(timeout=20_000)
        expect(page.get_by_text(re.compile(r"^Succeeded \(2\)$"))).to_be_attached()
        # The chart's "waterfall" mode (an icon-only button; its icon's aria-label names it)
        # shows both steps whole; the timed mode scrolls to wherever the run ended.
        waterfall = page.get_by_role("img", name="gantt_waterfall", exact=True)
        page.get_by_role("button").filter(has=waterfall).click()
        for step in ("raw__cbr_rates", "dbt_warehouse"):
            expect(shown(page, step)).to_be_visible()
        page.mouse.move(0, VIEWPORT["height"] - 1)  # no hover tooltips in the picture
        page.wait_for_timeout(1000)  # the chart settles
    screenshots.take(page, "ui_run_success.png")
    assert status == "Success", f"the run ended with {status}\n{dagster_ui.diagnostics()}"
    # The run: the day, the asset, and the dbt source tests run as its checks.
    for tag in (f"partition: {SAMPLE_DAY.isoformat()}", "raw / cbr_rates", "11 checks"):
        expect(shown(page, tag)).to_be_visible()

    # The rows the run wrote, read back from the build file, against the samples themselves.
    expected = {}
    for code, currency_id in CURRENCY_IDS.items():
        records = dagster_ui.bank.archive.dynamic(
            currency_id, SAMPLE_DAY - timedelta(days=21), SAMPLE_DAY
        )
        expected[code] = (records[-1].record_date, records[-1].nominal, records[-1].value)
    conn = duckdb.connect(dagster_ui.env["TPW_BUILD_WAREHOUSE"], read_only=True)
    try:
        rows = conn.execute(
            "select currency_code, record_date, nominal, value, source_url from raw.cbr_rates "
            "where rate_date = ? order by currency_code",
            [SAMPLE_DAY],
        ).fetchall()
    finally:
        conn.close()
    assert {code: (day, nominal, value) for code, day, nominal, value, _ in rows} == expected
    assert all(url.startswith(dagster_ui.bank.url) for *_, url in rows)
    asked = [urllib.parse.unquote(target) for target in dagster_ui.bank.requests]
    assert any(f"date_req={SAMPLE_DAY:%d/%m/%Y}" in target for target in asked), asked


def test_raw_cbr_rates_shows_its_daily_partitions(
    page,
    dagster_ui: DagsterUI,
    sample_day_run: LaunchedRun,
    finished_run,
    screenshots: Screenshots,
) -> None:
    before = len(daily_partitions.get_partition_keys())
    page.goto(f"{dagster_ui.url}/assets/raw/cbr_rates")
    page.get_by_role("tab", name="Partitions").click()
    count = page.get_by_text(re.compile(r"^[\d,]+ Partitions Selected$"))
    expect(count).to_be_visible()
    partitions = int(count.inner_text().split()[0].replace(",", ""))
    assert partitions in {before, len(daily_partitions.get_partition_keys())}  # Moscow midnight
    expect(page.get_by_text("1998-01-01", exact=True).first).to_be_visible()
    expect(page.get_by_text("Materialized (1)")).to_be_visible()
    # The partition list, filtered to the day loaded: its latest materialization is shown.
    page.get_by_placeholder("Filter by name…").fill(SAMPLE_DAY.isoformat())
    page.get_by_text(SAMPLE_DAY.isoformat(), exact=True).first.click()
    expect(shown(page, sample_day_run.run_id[:8])).to_be_visible()
    screenshots.take(page, "ui_partitions.png")


def test_the_asset_graph_shows_the_bank_of_russia_path(
    page, dagster_ui: DagsterUI, finished_run, screenshots: Screenshots
) -> None:
    page.goto(dagster_ui.url)
    # The navigation links' names start with their icon's name ("lineage Lineage"; the Jobs
    # link is "column_lineage Jobs"), so the visible word is matched at the end.
    page.get_by_role("link", name=re.compile(r"Lineage$")).click()
    expect(page.get_by_text("Global asset lineage")).to_be_visible()
    for group in ("cbr", "staging", "intermediate", "marts", "publish", "articles"):
        expect(page.get_by_role("button", name=group, exact=False).first).to_be_visible()
    # The asset selection box is a CodeMirror editor: no textbox role, its placeholder is a
    # <pre>. Clicking the editor's element and typing is what a person does.
    page.locator(".CodeMirror").first.click()
    page.keyboard.type('group:"cbr"+')
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/asset-groups~group%3A%22cbr%22%2B"))
    # Fold the asset sidebar and the navigation for room. The sidebar button has no text, only
    # an icon whose aria-label is "panel_show_right" (the navigation's button has it too).
    panel_icon = page.get_by_role("img", name="panel_show_right", exact=True)
    page.get_by_role("button").filter(has=panel_icon).filter(has_not_text="navigation").click()
    hide_navigation(page)
    page.get_by_text("Global asset lineage").click()  # focus out of the editor
    # "Expand all groups" (the graph's settings menu gives its shortcut: ⌥E).
    page.keyboard.press("Alt+e")
    for name in ("cbr_rates", "cbr_metal_prices", "stg_cbr__rates", "fx_rates", "metal_prices"):
        expect(shown(page, name)).to_be_visible()
    page.wait_for_timeout(1500)  # let the graph finish its zoom-to-fit animation
    screenshots.take(page, "ui_asset_graph.png")
    # Names longer than a node are shortened in the middle ("publish…_warehouse"); hovering
    # shows the full name in a tooltip.
    page.get_by_text(re.compile(r"^publish.*_warehouse$")).filter(visible=True).first.hover()
    expect(page.get_by_role("tooltip", name="published_warehouse")).to_be_attached()
