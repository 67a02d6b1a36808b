"""``python -m demo`` (``make demo``)."""

from . import main

raise SystemExit(main())
