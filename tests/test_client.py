"""The enqueue side against a real Redis: Resque.enqueue, Job.create, peek, destroy, dequeue, info."""

from __future__ import annotations

from typing import Any

import pytest

from resque_compat import NoClassError, NoQueueError, Profile, Resque
from resque_compat.errors import ConfigError, DecodeError, EncodeError
from resque_compat.protocol import FailureRecord
from resque_compat.protocol.payloads import InvalidPayload
from resque_compat.testing import RedisServer, free_port


class Archive:
    queue = "file_serve"


class ChargeJob:
    resque_class = "Billing::Charge"
    queue = "billing"
    calls: list[str]

    @classmethod
    def before_enqueue_a(cls, *args: Any) -> Any:
        cls.calls.append("before_enqueue_a")
        return None

    @classmethod
    def before_enqueue_b(cls, *args: Any) -> Any:
        cls.calls.append("before_enqueue_b")
        return args != ("refuse",) or False

    @classmethod
    def after_enqueue(cls, *args: Any) -> None:
        cls.calls.append("after_enqueue")

    @classmethod
    def before_dequeue(cls, *args: Any) -> Any:
        cls.calls.append("before_dequeue")
        return args != ("keep",)

    @classmethod
    def after_dequeue_x(cls, *args: Any) -> None:
        cls.calls.append("after_dequeue_x")


def raw_queue(resque: Resque, queue: str) -> list[bytes]:
    return list(resque.redis.lrange(resque.keys.queue(queue), 0, -1))  # type: ignore[arg-type]


def test_enqueue_writes_ruby_bytes_to_the_class_queue_and_registers_the_queue(resque: Resque) -> None:
    assert resque.enqueue(Archive, 44, "masterbrew") is True
    assert raw_queue(resque, "file_serve") == [b'{"class":"Archive","args":[44,"masterbrew"]}']
    assert resque.queues() == ["file_serve"]


def test_enqueue_sends_the_same_commands_redis_py_would_pack_for_any_queue_name(resque: Resque) -> None:
    # The enqueue commands are kept in wire format per queue: a non-ASCII name, a payload of
    # a megabyte and more queues than the memo holds all arrive as the plain commands would.
    from resque_compat.store import queues as queue_store

    big = "x" * 1_000_000
    resque.enqueue_to("caf\u00e9 \u2603", "Archive", big)
    assert raw_queue(resque, "caf\u00e9 \u2603") == [b'{"class":"Archive","args":["' + big.encode() + b'"]}']
    names = [f"q{i}" for i in range(queue_store._PACKED_QUEUES + 5)]
    for name in names:
        resque.enqueue_to(name, "Archive", name)
    for name in (names[0], names[-1]):
        resque.enqueue_to(name, "Archive", "again")
        assert raw_queue(resque, name) == [
            f'{{"class":"Archive","args":["{name}"]}}'.encode(),
            b'{"class":"Archive","args":["again"]}',
        ]
    assert set(resque.queues()) == {"caf\u00e9 \u2603", *names}


def test_a_ruby_class_can_be_enqueued_by_name_to_a_named_queue(resque: Resque) -> None:
    resque.enqueue_to("low", "Billing::Charge", {"cents": 995}, 1.0e20)
    assert raw_queue(resque, "low") == [b'{"class":"Billing::Charge","args":[{"cents":995},1.0e+20]}']


def test_enqueue_without_a_queue_raises_ruby_s_no_queue_error(resque: Resque) -> None:
    with pytest.raises(NoQueueError, match="No queue could be inferred for class Nope"):
        resque.enqueue("Nope", 1)


def test_a_job_without_a_class_name_raises_no_class_error(resque: Resque) -> None:
    with pytest.raises(NoClassError, match="Jobs must be given a class"):
        resque.create("q", "", 1)


def test_enqueue_to_none_pushes_to_the_empty_named_queue_as_ruby_does(resque: Resque) -> None:
    resque.enqueue_to(None, Archive, 1)
    assert raw_queue(resque, "") == [b'{"class":"Archive","args":[1]}']


def test_enqueue_hooks_run_in_sorted_order_and_a_false_before_hook_stops_the_enqueue(resque: Resque) -> None:
    ChargeJob.calls = []
    assert resque.enqueue(ChargeJob, 5) is True
    assert ChargeJob.calls == ["before_enqueue_a", "before_enqueue_b", "after_enqueue"]
    ChargeJob.calls = []
    assert resque.enqueue(ChargeJob, "refuse") is None
    assert ChargeJob.calls == ["before_enqueue_a", "before_enqueue_b"]
    assert raw_queue(resque, "billing") == [b'{"class":"Billing::Charge","args":[5]}']


def test_arguments_json_cannot_carry_raise_naming_the_argument_and_push_nothing(resque: Resque) -> None:
    with pytest.raises(EncodeError, match=r"args\[1\]"):
        resque.enqueue(Archive, 1, float("nan"))
    assert resque.size("file_serve") == 0


def test_peek_returns_one_job_for_count_one_and_a_list_otherwise(resque: Resque) -> None:
    for i in range(5):
        resque.enqueue(Archive, i)
    assert resque.peek("file_serve") == {"class": "Archive", "args": [0]}
    assert resque.peek("file_serve", 3) == {"class": "Archive", "args": [3]}
    assert [j["args"] for j in resque.peek("file_serve", 1, 3)] == [[1], [2], [3]]
    assert resque.peek("file_serve", 10) is None
    assert resque.peek("file_serve", 10, 2) == []


def test_pop_and_size_follow_fifo_order(resque: Resque) -> None:
    resque.push("q", {"class": "A", "args": [1], "meta": {"trace": "abc"}})
    resque.push("q", {"class": "A", "args": [2]})
    assert resque.size("q") == 2
    assert resque.pop("q") == {"class": "A", "args": [1], "meta": {"trace": "abc"}}
    assert resque.size("q") == 1
    assert resque.pop("empty") is None


def test_reserve_keeps_the_raw_bytes_and_extra_keys(resque: Resque) -> None:
    resque.push("q", {"class": "Peek", "args": [1], "jid": "123"})
    job = resque.reserve("q")
    assert job is not None
    assert job.raw == b'{"class":"Peek","args":[1],"jid":"123"}'
    assert (job.class_name, job.args, job.payload["jid"]) == ("Peek", [1], "123")


@pytest.mark.parametrize(
    ("raw", "error"),
    [(b"{not json", DecodeError), (b"[1,2]", InvalidPayload), (b'{"args":[1]}', InvalidPayload)],
)
def test_a_queue_entry_that_is_not_a_payload_is_reported_with_its_bytes(
    resque: Resque, raw: bytes, error: type[Exception]
) -> None:
    resque.redis.rpush(resque.keys.queue("q"), raw)
    with pytest.raises(error) as err:
        resque.reserve("q")
    assert err.value.raw == raw  # type: ignore[attr-defined]


def test_remove_queue_deletes_the_list_and_its_name(resque: Resque) -> None:
    resque.enqueue_to("gone", "A", 1)
    resque.enqueue_to("kept", "A", 1)
    resque.remove_queue("gone")
    assert resque.queues() == ["kept"]
    assert resque.size("gone") == 0


def test_destroy_with_args_removes_only_the_exact_ruby_encoding(resque: Resque) -> None:
    resque.enqueue_to("dq", "GoodJob", 1)
    resque.push("dq", {"class": "GoodJob", "args": [1], "extra": 1})
    resque.redis.rpush(resque.keys.queue("dq"), b'{"args":[1],"class":"GoodJob"}')
    resque.enqueue_to("dq", "GoodJob", 2)
    assert resque.destroy("dq", "GoodJob", 1) == 1
    assert resque.size("dq") == 3
    # the class-only form matches on the decoded class and removes the variants
    assert resque.destroy("dq", "GoodJob") == 3
    assert resque.size("dq") == 0


def test_destroy_by_class_skips_unreadable_entries_and_keeps_them(resque: Resque) -> None:
    resque.redis.rpush(resque.keys.queue("dq"), b"garbage")
    resque.enqueue_to("dq", "A", 1)
    assert resque.destroy("dq", "A") == 1
    assert raw_queue(resque, "dq") == [b"garbage"]


def test_dequeue_runs_dequeue_hooks_and_returns_the_count(resque: Resque) -> None:
    ChargeJob.calls = []
    resque.enqueue(ChargeJob, "keep")
    resque.enqueue(ChargeJob, 7)
    resque.enqueue(ChargeJob, 7)
    ChargeJob.calls = []
    assert resque.dequeue(ChargeJob, "keep") is None
    assert resque.dequeue(ChargeJob, 7) == 2
    assert ChargeJob.calls == ["before_dequeue", "before_dequeue", "after_dequeue_x"]
    assert resque.size("billing") == 1


def test_bulk_enqueue_pushes_many_jobs_with_the_same_bytes_as_single_enqueues(resque: Resque) -> None:
    assert resque.enqueue_many("bulk", "A", ([i, "x"] for i in range(2500))) == 2500
    resque.enqueue_to("single", "A", 7, "x")
    assert resque.size("bulk") == 2500
    assert raw_queue(resque, "bulk")[7] == raw_queue(resque, "single")[0]
    assert set(resque.queues()) == {"bulk", "single"}


def test_bulk_enqueue_pushes_nothing_when_one_argument_list_is_bad(resque: Resque) -> None:
    with pytest.raises(EncodeError):
        resque.enqueue_many("bulk", "A", [[1], [float("inf")]])
    assert resque.size("bulk") == 0


def test_info_and_queue_sizes_count_what_is_there(resque: Resque) -> None:
    resque.enqueue_to("a", "A", 1)
    resque.enqueue_to("a", "A", 2)
    resque.enqueue_to("b", "A", 3)
    resque.incr_stat("processed", 5)
    resque.failure.save(
        FailureRecord(
            payload={"class": "A", "args": []}, exception="E", error="e", backtrace=[], worker="", queue="a"
        )
    )
    info = resque.info()
    assert resque.queue_sizes() == {"a": 2, "b": 1}
    assert {k: info[k] for k in ("pending", "processed", "queues", "workers", "working", "failed")} == {
        "pending": 3,
        "processed": 5,
        "queues": 2,
        "workers": 0,
        "working": 0,
        "failed": 1,
    }
    assert info["environment"]


def test_sample_queues_returns_sizes_and_decoded_samples(resque: Resque) -> None:
    for i in range(4):
        resque.enqueue_to("s", "A", i)
    sample = resque.sample_queues(2)
    assert sample["s"]["size"] == 4
    assert sample["s"]["samples"] == [{"class": "A", "args": [0]}, {"class": "A", "args": [1]}]


def test_stats_increment_decrement_and_clear(resque: Resque) -> None:
    assert resque.stat("processed") == 0
    resque.incr_stat("processed")
    resque.incr_stat("processed", 4)
    resque.decr_stat("processed", 2)
    assert resque.stat("processed") == 3
    resque.clear_stat("processed")
    assert resque.stat("processed") == 0


def test_inline_mode_performs_at_enqueue_with_json_round_tripped_args(resque: Resque) -> None:
    seen: list[Any] = []

    class Inline:
        queue = "q"

        @staticmethod
        def perform(*args: Any) -> None:
            seen.append(args)

    inline = Resque(resque.redis, namespace=resque.namespace, inline=True)
    inline.enqueue(Inline, (1, 2), {3: "x"})
    assert seen == [([1, 2], {"3": "x"})]
    assert inline.size("q") == 0


def test_namespaces_keep_deployments_apart(resque: Resque) -> None:
    other = Resque(resque.redis, namespace=resque.namespace + ":other")
    resque.enqueue_to("q", "A", 1)
    assert other.size("q") == 0
    assert other.queues() == []


def test_the_rails_profile_enqueues_bytes_a_rails_process_can_destroy(resque: Resque) -> None:
    rails = Resque(resque.redis, namespace=resque.namespace, json_profile=Profile.RAILS)
    rails.enqueue_to("q", "Mailer", "<b>&</b>")
    assert raw_queue(rails, "q") == [b'{"class":"Mailer","args":["\\u003cb\\u003e\\u0026\\u003c/b\\u003e"]}']
    assert rails.destroy("q", "Mailer", "<b>&</b>") == 1


def test_a_redis_cluster_is_refused_with_a_clear_error() -> None:
    # A cluster node also listens on its port + 10000 (the cluster bus).
    with RedisServer(port=free_port(below=55000), extra_args=("--cluster-enabled", "yes")) as node:
        with pytest.raises(ConfigError, match="Redis Cluster is not supported"):
            Resque.from_url(node.url)
        with pytest.raises(ConfigError, match="Redis Cluster is not supported"):
            Resque.from_url(node.url.replace("redis://", "redis+cluster://"))
