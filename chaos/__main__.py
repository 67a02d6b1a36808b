"""``make chaos`` / ``python -m chaos``: every scenario at the long scale (``--bounded`` for the
CI scale, ``--only TEXT`` for the scenarios whose name contains TEXT), then the ledger table.
Exits 1 when any scenario lost or duplicated a job, or left a process behind; the Sentinel
failovers may lose or run twice only jobs in flight at the kill (``failover.IN_FLIGHT``)."""

from __future__ import annotations

import argparse
import sys
import time

from .failover import IN_FLIGHT, sentinel_failover
from .ledger import table
from .scenarios import BOUNDED, LONG, plan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chaos")
    parser.add_argument("--bounded", action="store_true", help="the CI scale")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args(argv)
    scale = BOUNDED if args.bounded else LONG
    print(f"chaos: {'bounded' if args.bounded else 'long'} scale, seed {args.seed}", flush=True)
    rows = []
    for i, scenario in enumerate(plan(scale)):
        started = time.monotonic()
        row = scenario(args.seed + i)
        rows.append(row)
        verdict = "ok" if row.ok else "FAILED"
        print(f"  {row.scenario}: {verdict} in {time.monotonic() - started:.0f} s", flush=True)
        for note in row.notes:
            print("    " + note.replace("\n", "\n    "), flush=True)
    failovers = []
    for i in range(1 if args.bounded else 5):
        started = time.monotonic()
        failover = sentinel_failover(args.seed + 100 + i)
        failovers.append(failover)
        verdict = "ok" if failover.within(IN_FLIGHT) else "FAILED"
        print(f"  {failover.row.scenario}: {verdict} in {time.monotonic() - started:.0f} s", flush=True)
        print("    " + failover.summary(), flush=True)
    print(table(rows + [f.row for f in failovers]))
    return 0 if all(r.ok for r in rows) and all(f.within(IN_FLIGHT) for f in failovers) else 1


if __name__ == "__main__":
    sys.exit(main())
