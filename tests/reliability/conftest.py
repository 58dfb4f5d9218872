"""Shared settings of the reliability suite.

Every record the package logs (at any level, DEBUG included) during any
reliability test is checked by ``no_leaks_in_logs``: no secret-looking string, no planted content canary and
nothing over 1 KB, at any level.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest

from tests.reliability._logs import LeakCatcher

os.environ["AGNO_TELEMETRY"] = "false"


@pytest.fixture(autouse=True)
def no_leaks_in_logs() -> Iterator[LeakCatcher]:
    catcher = LeakCatcher()
    package = logging.getLogger("headroom_integrations")
    old_level = package.level
    package.addHandler(catcher)
    package.setLevel(logging.DEBUG)
    try:
        yield catcher
    finally:
        package.removeHandler(catcher)
        package.setLevel(old_level)
    catcher.assert_clean()
