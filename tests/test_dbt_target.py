"""The dbt asset keeps dbt's newest partial-parse file and prunes old per-run target folders."""

import os
import time
from pathlib import Path

from orchestration.defs.dbt import KEEP_RUN_FOLDERS, keep_partial_parse


def _run_folder(root: Path, name: str, age_seconds: float) -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "manifest.json").write_text("{}", encoding="utf-8")
    stamp = time.time() - age_seconds
    os.utime(folder, (stamp, stamp))
    return folder


def test_partial_parse_is_copied_back_and_old_run_folders_go(tmp_path: Path) -> None:
    (tmp_path / "partial_parse.msgpack").write_bytes(b"parsed with another build path")
    (tmp_path / "compiled").mkdir()  # dbt's own folders are never touched
    old = [_run_folder(tmp_path, f"dbt_warehouse-old{i}-x", 3600 + i) for i in range(4)]
    recent = _run_folder(tmp_path, "dbt_warehouse_2-recent-x", 60)  # may still be running
    current = _run_folder(tmp_path, "dbt_warehouse-current-x", 0)
    (current / "partial_parse.msgpack").write_bytes(b"parsed with this run's build path")

    keep_partial_parse(current)

    assert (tmp_path / "partial_parse.msgpack").read_bytes() == b"parsed with this run's build path"
    assert not list(tmp_path.glob(".partial_parse.*.tmp"))
    left = sorted(p.name for p in tmp_path.glob("dbt_warehouse*"))
    # the current run and the newest others, up to KEEP_RUN_FOLDERS in all; the recent one stays
    assert len(left) == KEEP_RUN_FOLDERS
    assert current.name in left and recent.name in left and old[0].name in left
    assert (tmp_path / "compiled").is_dir()


def test_nothing_to_copy_changes_nothing(tmp_path: Path) -> None:
    current = _run_folder(tmp_path, "dbt_warehouse-current-x", 0)
    (tmp_path / "partial_parse.msgpack").write_bytes(b"kept")
    keep_partial_parse(current)  # dbt wrote no partial-parse file (it failed early)
    assert (tmp_path / "partial_parse.msgpack").read_bytes() == b"kept"
    assert current.is_dir()
