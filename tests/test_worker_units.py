"""Pure parts of the worker: queue resolution, intervals, settings, names and record shapes."""

from __future__ import annotations

import os
import signal

import pytest

from resque_compat.config.worker import WorkerSettings, split_queues
from resque_compat.errors import (
    ConfigError,
    DirtyExit,
    FailureHookError,
    NoQueueError,
    PruneDeadWorkerDirtyExit,
    TermException,
    UnknownJobClass,
)
from resque_compat.protocol.failure import exception_name, unreadable_payload
from resque_compat.runtime.app import classify
from resque_compat.runtime.child import ChildExit
from resque_compat.runtime.failures import ruby_backtrace
from resque_compat.runtime.procline import Procline, forked, processing, set_title, waiting
from resque_compat.runtime.queues import QueueSpec, fnmatch_ruby

QUEUES = ["zeta", "alpha", "high", "low", "file_a", "file_b", "critical"]


@pytest.mark.parametrize(
    ("spec", "resolved"),
    [
        ("*", ["alpha", "critical", "file_a", "file_b", "high", "low", "zeta"]),
        ("critical,*", ["critical", "alpha", "file_a", "file_b", "high", "low", "zeta"]),
        ("*,!low", ["alpha", "critical", "file_a", "file_b", "high", "zeta"]),
        ("!file_*,*", ["alpha", "critical", "high", "low", "zeta"]),
        ("h?gh,[a-c]*", ["high", "alpha", "critical"]),
        ("low,high,low", ["low", "high", "low"]),
    ],
)
def test_queue_specs_resolve_in_the_order_ruby_captured(spec: str, resolved: list[str]) -> None:
    assert QueueSpec(split_queues(spec)).resolve(QUEUES) == resolved


def test_braces_are_literal_and_a_leading_dot_needs_a_literal_dot() -> None:
    assert not fnmatch_ruby("{a,b}", "a")
    assert fnmatch_ruby("{a,b}", "{a,b}")
    assert not fnmatch_ruby("*", ".hidden")
    assert fnmatch_ruby(".*", ".hidden")
    assert fnmatch_ruby("[^a]*", "bob") and not fnmatch_ruby("[^a]*", "alice")


def test_a_static_spec_never_needs_the_queues_set() -> None:
    spec = QueueSpec(("high", "low"))
    assert not spec.dynamic
    assert spec.resolve() == ["high", "low"]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"INTERVAL": "5"}, (5.0, 5.0, 5.0, 0.1)),
        ({"INTERVAL": "1", "MIN_INTERVAL": "0.2", "MAX_INTERVAL": "0.5"}, (0.5, 0.2, 0.5, 0.1)),
        ({"INTERVAL": "0"}, (0.0, 0.0, 0.0, 0.0)),
        ({"INTERVAL": "5", "MIN_INTERVAL": "0"}, (5.0, 0.0, 5.0, 0.1)),
        ({"INTERVAL": "2", "MIN_INTERVAL": "9"}, (2.0, 2.0, 2.0, 0.1)),
    ],
)
def test_intervals_are_clamped_as_resque_worker_work_clamps_them(
    env: dict[str, str], expected: tuple[float, ...]
) -> None:
    assert WorkerSettings.from_env(env).intervals() == expected


def test_settings_read_resques_variables_and_queues_wins_over_queue() -> None:
    s = WorkerSettings.from_env(
        {
            "QUEUE": "a",
            "QUEUES": " high , low ",
            "FORK_PER_JOB": "false",
            "TERM_CHILD": "1",
            "LOGGING": "1",
            "COUNT": "3",
            "RESQUE_TERM_TIMEOUT": "2.5",
        }
    )
    assert s.queues == ("high", "low")
    assert (s.fork_per_job, s.term_child, s.verbose, s.count, s.term_timeout) == (False, True, True, 3, 2.5)
    assert WorkerSettings.from_env({"FORK_PER_JOB": "no"}).fork_per_job is True


def test_settings_refuse_garbage_and_a_worker_needs_a_queue() -> None:
    with pytest.raises(ConfigError, match="INTERVAL"):
        WorkerSettings.from_env({"INTERVAL": "soon"})
    with pytest.raises(ConfigError, match="RESQUE_UNKNOWN_CLASS"):
        WorkerSettings.from_env({"RESQUE_UNKNOWN_CLASS": "drop"})
    with pytest.raises(NoQueueError, match="at least one queue"):
        WorkerSettings.from_env({"QUEUE": "!low"}).require_queues()


def test_child_exits_describe_themselves_like_ruby_process_status() -> None:
    assert ChildExit(27307, signal.SIGKILL).describe() == "pid 27307 SIGKILL (signal 9)"
    assert ChildExit(5, 3 << 8).describe() == "pid 5 exit 3"
    assert ChildExit(27307, signal.SIGKILL).signaled and not ChildExit(5, 3 << 8).signaled


def test_exception_names_are_rubys_for_resque_errors_and_pythons_otherwise() -> None:
    class Declined(Exception):
        pass

    assert exception_name(RuntimeError("x")) == "RuntimeError"
    assert exception_name(DirtyExit("x")) == "Resque::DirtyExit"
    assert exception_name(PruneDeadWorkerDirtyExit("h:1:q", None)) == "Resque::PruneDeadWorkerDirtyExit"
    assert exception_name(TermException("SIGTERM")) == "Resque::TermException"
    assert exception_name(UnknownJobClass("Nope")) == "NameError"
    assert exception_name(FailureHookError("x")) == "RuntimeError"
    assert exception_name(Declined()) == f"{__name__}.{Declined.__qualname__}"
    assert str(PruneDeadWorkerDirtyExit("h:1:q", None)) == (
        "Worker h:1:q did not gracefully exit while processing <Unknown Job>"
    )


def test_backtraces_are_innermost_first_in_rubys_frame_format() -> None:
    def inner() -> None:
        raise ValueError("x")

    try:
        inner()
    except ValueError as exc:
        frames = ruby_backtrace(exc)
    assert frames[0].endswith(":in `inner'") and frames[-1].endswith(
        ":in `test_backtraces_are_innermost_first_in_rubys_frame_format'"
    )
    assert frames[0].startswith(os.path.abspath(__file__) + ":")


def test_unreadable_payloads_keep_their_text_or_their_bytes() -> None:
    assert unreadable_payload(b"{not json") == {
        "class": "ResqueCompat::UnreadablePayload",
        "args": ["{not json"],
    }
    assert unreadable_payload(b"\xff\xfe{") == {
        "class": "ResqueCompat::UnreadablePayload",
        "args": [{"base64": "//57"}],
    }


def test_proclines_follow_resques_format() -> None:
    p = Procline("app ")
    assert p.text(waiting(["high", "low"])) == "app resque-3.0.0: Waiting for high,low"
    assert processing("slow", 1795798645, "SlowJob") == "Processing slow since 1795798645 [SlowJob]"
    assert forked(27307, 1795798645) == "Forked 27307 at 1795798645"
    head, tail = p.forked_parts(1795798645)  # set by the forked parent around the child's pid
    assert f"{head}27307{tail}" == p.text(forked(27307, 1795798645))


def test_a_procline_set_again_after_the_title_was_set_around_it_is_shown() -> None:
    before = Procline.current()
    p = Procline("unit ")
    try:
        p.set("Paused")
        assert Procline.current() == "unit resque-3.0.0: Paused"
        p.set("Paused")  # the same text: no second system call, the title unchanged
        assert Procline.current() == "unit resque-3.0.0: Paused"
        p.forget()
        set_title("unit resque-3.0.0: Forked 1 at 2")
        p.set("Paused")
        assert Procline.current() == "unit resque-3.0.0: Paused"
    finally:
        set_title(before)
        p.forget()


def test_dashed_class_names_are_classified_like_resque_classify() -> None:
    assert classify("job-name") == "JobName"
    assert classify("Billing::Charge") == "Billing::Charge"
