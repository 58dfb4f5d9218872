"""``python -m headroom_integrations.cli`` runs the same command as the console script."""

import sys

from . import main

sys.exit(main())
