"""Agno tests run offline: no telemetry calls."""

import os

os.environ["AGNO_TELEMETRY"] = "false"
