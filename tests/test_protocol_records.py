"""The readers of protocol/records.py: one per record kind, the same answer whether a payload is
read from its bytes (msgspec heads) or already decoded."""

from __future__ import annotations

import pytest

from resque_compat.protocol import encode
from resque_compat.protocol.records import (
    WRAPPER_CLASS,
    active_job_class,
    classify_job,
    held_payload,
    json_object,
    payload_args,
    payload_class,
    read_failure,
    read_job,
    read_working_on,
    record_payload,
    working_on_prefix,
)

WRAPPED = {
    "class": WRAPPER_CLASS,
    "args": [{"job_class": "SendInvoiceJob", "enqueued_at": "2026-01-02T03:04:05Z"}],
}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        (b"", None),
        (b"not json", None),
        (b"[1,2]", None),
        (b'"text"', None),
        (b'{"a":1}', {"a": 1}),
    ],
)
def test_json_object_gives_a_dict_only_for_a_json_object(raw: bytes | None, expected: object) -> None:
    assert json_object(raw) == expected


def test_a_decoded_payload_gives_its_class_and_args_as_ruby_s_job_does() -> None:
    assert payload_class({"class": "Archive", "args": [1]}) == "Archive"
    assert payload_args({"class": "Archive", "args": [1, "a"]}) == [1, "a"]
    assert payload_args({"class": "Archive", "args": None}) == []  # args || []
    assert payload_class({"class": 5}) is None
    assert payload_class(["not", "a", "payload"]) is None
    assert payload_args("nothing") == []


def test_an_active_job_payload_is_read_by_its_inner_class_from_bytes_and_decoded_alike() -> None:
    raw = encode(WRAPPED)
    assert active_job_class(WRAPPED) == "SendInvoiceJob"
    assert read_job(raw).class_name == "SendInvoiceJob"
    assert read_job(raw).active_job is True
    assert read_job(raw).time == "2026-01-02T03:04:05Z"
    no_data = {"class": WRAPPER_CLASS, "args": ["text"]}
    assert active_job_class(no_data) is None
    assert read_job(encode(no_data)).class_name == WRAPPER_CLASS


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"not json", "not JSON"),
        (b"[1]", "not a JSON object"),
        (b'{"args":[]}', 'no string "class"'),
        (b'{"class":"A","args":5}', '"args" is not an array'),
    ],
)
def test_a_queue_entry_that_is_no_job_reads_as_unreadable_with_a_reason(raw: bytes, problem: str) -> None:
    head = read_job(raw)
    assert (head.class_name, head.problem, head.label) == (None, problem, "(unreadable)")
    assert classify_job(raw)[3] == problem


def test_a_failure_record_is_read_by_the_job_in_its_payload() -> None:
    record = {
        "failed_at": "2026/01/02 03:04:05 UTC",
        "payload": WRAPPED,
        "exception": "RuntimeError",
        "error": "boom",
        "queue": "mail",
    }
    head = read_failure(encode(record))
    assert (head.class_name, head.active_job, head.time, head.queue, head.exception) == (
        "SendInvoiceJob",
        True,
        "2026/01/02 03:04:05 UTC",
        "mail",
        "RuntimeError",
    )
    assert read_failure(b'{"payload":"text"}').problem == "payload is not a JSON object"


def test_working_on_bytes_are_built_once_and_the_job_sliced_back_byte_for_byte() -> None:
    raw = b'{"class":"Archive","args":[1.0e+20,"\\u00e9"]}'
    held = working_on_prefix(encode("mail"), "2026-01-02T03:04:05Z") + raw + b"}"
    assert held == b'{"queue":"mail","run_at":"2026-01-02T03:04:05Z","payload":' + raw + b"}"
    assert held_payload(held) == ("mail", raw)
    entry = read_working_on(held)
    assert (entry.queue, entry.run_at, entry.job_class, entry.problem) == (
        "mail",
        "2026-01-02T03:04:05Z",
        "Archive",
        None,
    )


def test_a_working_on_value_in_another_shape_is_kept_whole() -> None:
    assert held_payload(b'{"run_at":"x","queue":"q","payload":{}}') == (
        "",
        b'{"run_at":"x","queue":"q","payload":{}}',
    )
    assert read_working_on(b"[1]").problem == "not a JSON object but an array"
    assert read_working_on(b"nope").problem is not None
    assert read_working_on(b"nope").raw == b"nope"


def test_the_job_of_a_failure_record_or_working_on_value_is_its_payload_of_any_type() -> None:
    assert record_payload({"payload": {"class": "A"}, "queue": "q"}) == {"class": "A"}
    assert record_payload({"payload": "text"}) == "text"  # views show it as unreadable
    assert record_payload({"queue": "q"}) is None
    assert record_payload(None) is None
    assert record_payload([{"payload": 1}]) is None
