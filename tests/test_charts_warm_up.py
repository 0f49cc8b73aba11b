"""The dbt step warms matplotlib up in the background (reports/warm_up.py): the charts drawn
after a warm-up are byte for byte those of a cold process, and the warm-up really loads
what the charts step would otherwise load itself."""

import subprocess
import sys

from tests.conftest import PROJECT_ROOT

DRAW = """
import sys
from datetime import date, timedelta
from decimal import Decimal
if sys.argv[1] == "warm":
    from reports import warm_up
    warm_up.start()
    warm_up.wait()
    assert "matplotlib.backends.backend_agg" in sys.modules
    assert "PIL.PngImagePlugin" in sys.modules
else:
    assert "matplotlib" not in sys.modules
from reports.charts import _rate_chart
from reports.drawing import png_bytes
days = [date(2025, 1, 1) + timedelta(days=i) for i in range(60)]
rows = [(d, c, Decimal(90 + i % 7) + (5 if c == "EUR" else 0))
        for c in ("USD", "EUR") for i, d in enumerate(days)]
sys.stdout.buffer.write(png_bytes(_rate_chart(rows).figure))
"""


def _draw(mode: str) -> bytes:
    result = subprocess.run(
        [sys.executable, "-c", DRAW, mode],
        cwd=PROJECT_ROOT,
        capture_output=True,
        check=True,
    )
    return result.stdout


def test_a_warmed_up_process_draws_the_same_chart() -> None:
    cold, warm = _draw("cold"), _draw("warm")
    assert cold.startswith(b"\x89PNG")
    assert warm == cold
