"""``python -m resque_compat.cli``."""

from . import main

main()
