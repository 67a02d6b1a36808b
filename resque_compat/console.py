"""The ``resque-compat`` console script: says which extra to install when click is missing,
instead of failing with an ImportError (the runtime dependencies are redis and msgspec)."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        import click  # noqa: F401
    except ImportError:
        sys.stderr.write(
            "resque-compat's command line needs its cli extra: pip install 'resque-compat[cli]'\n"
        )
        sys.exit(2)
    from .cli import main as cli

    cli()
