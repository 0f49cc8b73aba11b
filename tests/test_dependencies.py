"""Declared dependencies match the imports: deptry, configured in pyproject.toml ([tool.deptry]),
finds a third-party module imported by extract/, orchestration/, reports/, scripts/ or bench/
that pyproject.toml does not declare, or a declared runtime dependency nothing imports (a short
allow-list there names the ones used as commands or plugins, each with its reason)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEPTRY = Path(sys.executable).with_name("deptry")
SOURCE_DIRS = ("extract", "orchestration", "reports", "scripts", "bench")


def run_deptry(root: Path, tmp_path: Path) -> list[dict]:
    """deptry's findings for the project at ``root`` (each with its code, module and place)."""
    report = tmp_path / "deptry.json"
    result = subprocess.run(
        [str(DEPTRY), ".", "--no-ansi", "--json-output", str(report)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert report.exists(), f"deptry did not run:\n{result.stdout}\n{result.stderr}"
    return json.loads(report.read_text())


def describe(findings: list[dict]) -> str:
    return "\n".join(
        f"{f['error']['code']} {f['module']}: {f['error']['message']} ({f['location']['file']})"
        for f in findings
    )


def test_every_import_is_declared_and_every_dependency_is_used(tmp_path: Path) -> None:
    findings = run_deptry(ROOT, tmp_path)
    assert findings == [], "fix pyproject.toml (uv add / uv remove):\n" + describe(findings)


def test_deptry_scans_the_source_folders_and_reads_the_allow_list() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    deptry = config["tool"]["deptry"]
    assert set(deptry["known_first_party"]) == set(SOURCE_DIRS)
    excluded = set(deptry["extend_exclude"])
    assert not excluded & set(SOURCE_DIRS), "a source folder is excluded from the scan"
    declared = {
        dep.split(";")[0].split("[")[0].split("=")[0].split("<")[0].split(">")[0].strip().lower()
        for dep in config["project"]["dependencies"]
    }
    allowed = set(deptry["per_rule_ignores"]["DEP002"])
    assert allowed <= declared, f"allow-listed but not declared: {sorted(allowed - declared)}"
    assert set(deptry["per_rule_ignores"]) == {"DEP002"}, "only unused-but-declared may be waived"


@pytest.mark.parametrize(
    ("change", "codes", "module"),
    [
        ("drop lxml", {"DEP001", "DEP003"}, "lxml"),  # imported, there only through trafilatura
        ("drop pyyaml", {"DEP001", "DEP003"}, "yaml"),  # imported, only there through dbt
        ("add tabulate", {"DEP002"}, "tabulate"),  # declared, never imported
    ],
)
def test_a_missing_or_unused_dependency_is_found(
    tmp_path: Path, change: str, codes: set[str], module: str
) -> None:
    """The same check on a copy of the project with one mistake made on purpose."""
    copy = tmp_path / "project"
    copy.mkdir()
    for folder in SOURCE_DIRS:
        shutil.copytree(ROOT / folder, copy / folder, ignore=shutil.ignore_patterns("__pycache__"))
    lines = (ROOT / "pyproject.toml").read_text().splitlines()
    verb, package = change.split()
    if verb == "drop":
        kept = [line for line in lines if not line.startswith(f'    "{package}')]
        assert len(kept) == len(lines) - 1, f"{package} is not declared once"
    else:
        at = lines.index("dependencies = [") + 1
        kept = [*lines[:at], f'    "{package}",', *lines[at:]]
    (copy / "pyproject.toml").write_text("\n".join(kept) + "\n")
    found = {(f["error"]["code"], f["module"]) for f in run_deptry(copy, tmp_path)}
    assert any(c in codes and m == module for c, m in found), found
    assert all(m == module for _, m in found), f"only {module} should be reported: {found}"
