"""The chaos suite (``make chaos``; a bounded form runs in ``make test``): real redis-servers and
real worker processes under repeated faults, every enqueued job followed to where it ended."""
