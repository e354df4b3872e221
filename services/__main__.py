"""`python -m services`: every exchange service in one process (see services.runner)."""

import sys

from services.runner import main

sys.exit(main())
