"""Replay of the recorded keyspace scenarios (fixtures/keyspace/*.json) with the Python side.

Each fixture holds the driver steps Ruby Resque 3.0 ran and the normalised keyspace it left. The
same steps run here with resque_compat (its client, failure backends and a real ``resque-compat
work`` process for ``work`` steps), no Ruby needed; the keyspace must match the recorded one key
for key, type for type and value for value, once host, pids and times are normalised and failure
backtraces (Ruby frames versus Python frames) are blanked.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from conformance import keyspace
from conformance.pyside import PythonDriver

NAMES = keyspace.fixture_names()


@pytest.fixture
def python_side(redis_url: str, namespace: str, redis_client: object) -> Iterator[PythonDriver]:
    # redis_client is requested so the namespace is cleaned up after the test.
    side = PythonDriver(redis_url, namespace, env={"TZ": "UTC"})
    try:
        yield side
    finally:
        side.close()


def test_every_recorded_keyspace_scenario_is_replayed_here() -> None:
    assert {"enqueue", "burst_success_failure", "failure_requeue", "failure_remove"} <= set(NAMES)
    assert {"multi_queue_failure", "multi_queue_requeue"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_python_leaves_the_keyspace_ruby_left_for_the_same_steps(
    name: str, python_side: PythonDriver
) -> None:
    # Given the steps Ruby ran and the keyspace it left
    fixture = keyspace.load_fixture(name)
    expected = keyspace.for_parity(fixture["keyspace"])
    # When the Python side runs the same steps
    keyspace.replay(python_side, fixture["steps"], python=True)
    # Then it leaves the same keys, types and (normalised) values
    actual = keyspace.for_parity(keyspace.normalise(python_side.call("keys"), socket.gethostname()))
    assert keyspace.differences(expected, actual, "Ruby (recorded)", "Python") == []
    assert actual == expected
