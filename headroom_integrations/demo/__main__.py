"""``python -m headroom_integrations.demo [--out DIR] [--live]``."""

from __future__ import annotations

from .run import main

raise SystemExit(main())
