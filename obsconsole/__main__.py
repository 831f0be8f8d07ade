"""`python -m obsconsole` is `obsconsole`."""

import sys

from obsconsole.cli import main

sys.exit(main())
