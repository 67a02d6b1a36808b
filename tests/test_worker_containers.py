"""Pruning in containers: workers that are each pid 1 under their own host name (UTS and pid
namespaces made with ``unshare``, as a container runtime makes them) share one Redis; no worker
prunes another pod's live worker by pid, and a killed pod is pruned once its heartbeat expires."""

from __future__ import annotations

import redis
from host_namespaces import kill_pod, needs_namespaces, start_pod, stop_pod, wait_heartbeat_older
from worker_harness import Workers, failures, push_raw, registered, workers

__all__ = ["workers"]

pytestmark = needs_namespaces


def test_pods_that_are_all_pid_1_keep_distinct_ids_and_never_prune_each_other(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    a = start_pod(workers, "pod-a", "q")
    b = start_pod(workers, "pod-b", "q")  # its startup pruning sees pod-a:1:q: another host, fresh heartbeat
    c = start_pod(workers, "pod-c", "q")
    assert registered(redis_client, namespace, 3) == {"pod-a:1:q", "pod-b:1:q", "pod-c:1:q"}
    push_raw(redis_client, namespace, "q", *[b'{"class":"Echo","args":[%d]}' % i for i in range(6)])
    assert sorted(workers.next("echo") or "" for _ in range(6)) == [f"[{i}]" for i in range(6)]
    assert failures(redis_client, namespace) == []
    for pod in (a, b, c):
        assert stop_pod(pod) == 0
    assert registered(redis_client, namespace, 0) == set()


def test_a_killed_pod_is_pruned_by_the_next_worker_once_its_heartbeat_expires(
    workers: Workers, redis_client: redis.Redis, namespace: str
) -> None:
    fast = {"RESQUE_HEARTBEAT_INTERVAL": "1", "RESQUE_PRUNE_INTERVAL": "1"}
    a = start_pod(workers, "pod-a", "q", **fast)
    push_raw(redis_client, namespace, "q", b'{"class":"Slow","args":[30]}')
    assert workers.next("started")
    kill_pod(a)  # the pod is gone: no unregistering, no failure record
    assert "pod-a:1:q" in registered(redis_client, namespace)
    wait_heartbeat_older(redis_client, namespace, "pod-a:1:q", 1)
    b = start_pod(workers, "pod-b", "q", **fast)
    assert registered(redis_client, namespace, 1) == {"pod-b:1:q"}
    (record,) = failures(redis_client, namespace)
    assert (record["exception"], record["error"]) == (
        "Resque::PruneDeadWorkerDirtyExit",
        "Worker pod-a:1:q did not gracefully exit while processing Slow",
    )
    assert stop_pod(b) == 0
