"""Dagster's entry point: everything is defined in the ``defs/`` folder."""

from pathlib import Path

import dagster as dg

from orchestration.storage import enable_event_batching

# Ranged runs hand their per-partition events to the storage in batches (orchestration/storage.py).
enable_event_batching()


@dg.definitions
def defs() -> dg.Definitions:
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
