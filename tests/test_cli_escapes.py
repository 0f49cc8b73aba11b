"""Terminal escape codes in file names, URLs and articles are shown, never obeyed.

A file named ``\\x1b[31m...`` or holding U+009B (CSI) in the article inbox used to reach the
terminal raw through `tpw facts` (its `skipped` lines and the article of every fact), so a name
could recolour, clear or retitle the analyst's terminal. Everything `tpw` prints from such text
goes through :func:`orchestration.progress.printable`.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from extract.formatting import text_table
from orchestration.cli import PrintableFormatter
from orchestration.progress import json_line, printable, printer
from tests.conftest import PROJECT_ROOT

TPW = str(Path(sys.executable).parent / "tpw")
NAME = "\x1b[31mred\x9b2J\u202egnp.txt"  # ESC colour, C1 CSI "clear screen", RTL override
ESCAPED = "\\x1b[31mred\\x9b2J\\u202egnp.txt"
ARTICLE = (
    "В «Алабушево» открыли новый корпус\n"
    "Дата публикации: 14.05.2024\n"
    "Резидент технопарка «Алабушево» компания «Квантэкс» по итогам прошлого года "
    "экспортировала оборудование на 2,5 млрд рублей, в том числе в Индию и Вьетнам.\n"
)


def raw_controls(data: bytes) -> list[str]:
    """Control characters (other than newline) in output bytes: C0, DEL, C1, bidi overrides."""
    text = data.decode("utf-8", errors="surrogateescape")
    return [
        c
        for c in text
        if c != "\n" and (ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in "\u202a\u202e\u2066")
    ]


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / NAME).write_text(ARTICLE, encoding="utf-8")
    (folder / ("\x1b]0;pwned\x07empty\x9b.txt")).write_bytes(b"")  # quarantined: empty
    return folder


def tpw(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TPW_", "DAGSTER_"))}
    env.update(TPW_WAREHOUSE=str(tmp_path / "w.duckdb"), DAGSTER_HOME=str(tmp_path / "home"))
    return subprocess.run([TPW, *args], env=env, cwd=PROJECT_ROOT, capture_output=True, timeout=120)


def test_facts_text_output_escapes_file_names(inbox: Path, tmp_path: Path) -> None:
    result = tpw("facts", str(inbox), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert raw_controls(result.stdout) == [] and raw_controls(result.stderr) == []
    out, err = result.stdout.decode(), result.stderr.decode()
    assert f"{ESCAPED}: export_volume 2 500 000 000 RUB" in out
    assert "tpw: skipped " in err and "\\x1b]0;pwned\\x07empty\\x9b.txt" in err
    assert "Квантэкс Индия | 2,5 млрд рублей" in out  # ordinary text is left alone


def test_facts_json_output_escapes_c1_too(inbox: Path, tmp_path: Path) -> None:
    result = tpw("facts", str(inbox), "--json", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    # json.dumps(ensure_ascii=False) escapes only C0: U+009B and U+202E would pass raw.
    assert raw_controls(result.stdout) == [] and raw_controls(result.stderr) == []
    facts = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert facts and {f["article"] for f in facts} == {NAME}  # the same value, escaped in JSON
    assert "\\u001b[31mred\\u009b2J\\u202egnp.txt" in result.stdout.decode()


def test_a_missing_path_is_escaped_in_the_error(tmp_path: Path) -> None:
    result = tpw("facts", str(tmp_path / "\x1b[2Jgone.txt"), tmp_path=tmp_path)
    assert result.returncode == 1
    assert raw_controls(result.stderr) == []
    assert "\\x1b[2Jgone.txt" in result.stderr.decode()


def test_printable() -> None:
    assert (
        printable("plain Квантэкс «Алабушево»\u00a0tab\tok")
        == "plain Квантэкс «Алабушево»\u00a0tab\tok"
    )
    assert printable("a\x1b[31mb\x9bc\x00d\x7fe\nf") == "a\\x1b[31mb\\x9bc\\x00d\\x7fe\\x0af"
    assert printable("\u202e\u200b\udc9b") == "\\u202e\\u200b\\udc9b"  # bidi, zero width, bad byte
    assert printable("\U000f0000") == "\\U000f0000"  # private use


def test_json_line_stays_the_same_json() -> None:
    value = {"article": NAME + "\U000f0001\udc9b", "n": 1}
    line = json_line(value)
    assert raw_controls(line.encode("utf-8", errors="surrogateescape")) == []
    assert json.loads(line) == value


def test_tables_progress_and_logs_are_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    table = text_table(["article\x1b"], [[NAME]])
    assert "\x1b" not in table and ESCAPED in table
    printer(sys.stdout)(f"publish: done ({NAME})")
    assert capsys.readouterr().out == f"publish: done ({ESCAPED})\n"
    record = logging.LogRecord("extract", logging.WARNING, "", 0, "quarantined %s", (NAME,), None)
    line = PrintableFormatter("%(levelname)s %(name)s: %(message)s").format(record)
    assert line == f"WARNING extract: quarantined {ESCAPED}"
