"""examples/agno_agent.py runs offline and prints the savings it claims."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "agno_agent.py"


def test_the_example_runs_offline_and_reports_savings() -> None:
    env = {**os.environ, "AGNO_TELEMETRY": "false"}
    out = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, env=env, timeout=120, check=True
    ).stdout
    answers = [line for line in out.splitlines() if line.startswith("answer:")]
    assert len(answers) == 2 and all("payment gateway timeout on order 48137" in a for a in answers)
    percent = re.search(r"HeadroomAgnoModel: .* \(([\d.]+)% saved\) by smart_crusher", out)
    assert percent is not None and float(percent.group(1)) > 90
    assert re.search(r"HeadroomCompressionManager: [\d,]+ tool-result tokens saved", out)
    read = [int(n.replace(",", "")) for n in re.findall(r"read ([\d,]+) characters", out)]
    assert read[0] < read[-1] / 10  # with Headroom the model read a tenth of what it reads without
