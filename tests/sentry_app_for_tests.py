"""A worker app with Sentry set up on a transport that writes events to Redis (``test:sentry``)."""

from __future__ import annotations

import json
from typing import Any

import sentry_sdk
from jobs_for_tests import hooks, registry, tell
from sentry_sdk.transport import Transport

__all__ = ["hooks", "registry"]


class RedisTransport(Transport):
    def capture_envelope(self, envelope: Any) -> None:
        for item in envelope.items:
            if item.type == "event":
                tell("sentry", json.dumps(item.payload.json, default=str))


sentry_sdk.init(dsn="https://public@sentry.invalid/1", transport=RedisTransport, default_integrations=False)
