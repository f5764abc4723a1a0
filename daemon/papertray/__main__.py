"""`python -m papertray` is the same as the `papertray` console script."""

import sys

from papertray.cli import main

sys.exit(main(sys.argv[1:]))
