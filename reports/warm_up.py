"""matplotlib warmed up in the background, so that the charts step starts with it loaded.

Importing matplotlib and drawing a first figure costs about 0.4 s (its font list, the Agg
canvas, the PNG encoder). :func:`start` runs :func:`reports.drawing.warm_up` in a background
thread of this process; :func:`wait` lets the charts wait for it. The dbt step starts it at its
end, so that it overlaps publishing (a file copy, outside Python's global lock) rather than dbt
and the handling of dbt's results, which would wait for the lock. This module imports nothing
heavy itself.
"""

from __future__ import annotations

import contextlib
import threading

_thread: threading.Thread | None = None


def start() -> None:
    """Start the warm-up in the background, once per process; a failure is ignored (the
    charts would then load matplotlib themselves, and report any real error)."""
    global _thread
    if _thread is not None:
        return

    def warm() -> None:
        with contextlib.suppress(Exception):
            from reports.drawing import warm_up

            warm_up()

    _thread = threading.Thread(target=warm, name="tpw-charts-warm-up", daemon=True)
    _thread.start()


def wait() -> None:
    """Wait for a warm-up started in this process, if any, to end."""
    if _thread is not None:
        _thread.join()
