"""Run a command and write its wall time and kernel max RSS as JSON (``_launch.py OUT CMD...``).

A process started from a big parent inherits the parent's high-water RSS (Linux records the old
address space's peak at exec), so the benchmarks do not read max RSS from their own children:
this small launcher (run with ``python -I``) starts the command and reads the command's own
``wait4`` usage, which covers the command and every process it waited for (dbt under Dagster).
"""

import json
import os
import signal
import sys
import time

out, command = sys.argv[1], sys.argv[2:]
started = time.time()
began = time.perf_counter()
pid = os.posix_spawnp(command[0], command, os.environ)
for sig in (signal.SIGINT, signal.SIGTERM):
    signal.signal(sig, lambda number, _frame: os.kill(pid, number))
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - began
with open(out, "w") as handle:
    json.dump({"started": started, "wall": wall, "max_rss": usage.ru_maxrss * 1024}, handle)
sys.exit(os.waitstatus_to_exitcode(status) & 0xFF if status else 0)
