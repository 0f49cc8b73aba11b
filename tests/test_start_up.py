"""The first run in a process loads Dagster with the cyclic garbage collector paused, then
freezes what the start-up made; any other process is left as it is."""

import gc
import json
import subprocess
import sys

from orchestration.runner import start_up_objects_frozen

PROBE = """
import gc, json, sys
from orchestration.runner import start_up_objects_frozen
before = gc.get_freeze_count()
with start_up_objects_frozen():
    paused = not gc.isenabled()
    import dagster
    from orchestration.definitions import defs
    defs()
print(json.dumps({"paused": paused, "enabled": gc.isenabled(), "before": before,
                  "frozen": gc.get_freeze_count()}))
"""


def test_a_fresh_process_freezes_what_the_start_up_made() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["paused"] and report["enabled"]
    assert report["before"] == 0
    assert report["frozen"] > 100_000  # Dagster's, dbt's and the definitions' objects


def test_a_process_with_dagster_already_is_left_alone() -> None:
    import dagster  # noqa: F401

    frozen = gc.get_freeze_count()
    with start_up_objects_frozen():
        assert gc.isenabled()
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen
