"""``python -m xlfact.cli``: the ``xlfact`` command."""

import sys

from xlfact.cli import main

sys.exit(main())
