"""The JobWrapper performer and Python-side enqueue of ActiveJob jobs."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from resque_compat import Registry, Resque
from resque_compat.activejob import (
    WRAPPER_CLASS,
    ActiveJobPerformError,
    ArgumentDecodeError,
    ArgumentEncodeError,
    Codec,
    Duration,
    GlobalID,
    JobData,
    RailsFormat,
    RubyRange,
    Symbol,
    TimeWithZone,
    UnknownActiveJobClass,
    UnknownEncodingError,
    active_job_classes,
    enqueue,
    install,
)
from resque_compat.protocol import Profile, encode
from resque_compat.protocol.failure import exception_name


def job_data(job_class: str, arguments: list[Any]) -> dict[str, Any]:
    return {"job_class": job_class, "job_id": "j-1", "queue_name": "default", "arguments": arguments}


def test_install_registers_the_wrapper_once_under_rails_class_name() -> None:
    registry = Registry()
    first = install(registry)
    assert install(registry) is first
    assert registry[WRAPPER_CLASS] is first


def test_a_wrapped_job_reaches_its_performer_with_symbol_keys_and_keyword_arguments() -> None:
    # Given a performer registered under the ActiveJob class name
    registry = Registry()
    active_jobs = install(registry)
    seen: list[Any] = []

    @active_jobs.job("SendInvoiceJob")
    def send_invoice(invoice: GlobalID, options: dict[str, Any], *, notify: bool = False) -> str:
        seen.append((invoice, options, notify))
        return "sent"

    # When the wrapper performs the job data Rails wrote
    arguments = [
        {"_aj_globalid": "gid://myapp/Invoice/7"},
        {"copies": 2, "_aj_symbol_keys": ["copies"]},
        {"notify": True, "_aj_ruby2_keywords": ["notify"]},
    ]
    result = registry[WRAPPER_CLASS].perform(job_data("SendInvoiceJob", arguments))
    # Then the performer got typed values and a Python keyword argument
    assert result == "sent"
    ((invoice, options, notify),) = seen
    assert invoice.model_name == "Invoice" and invoice.model_id == "7"
    assert options == {"copies": 2} and type(next(iter(options))) is Symbol
    assert notify is True


def test_a_class_performer_is_instantiated_per_job_and_can_receive_the_job_data() -> None:
    registry = Registry()
    active_jobs = install(registry)
    seen: list[Any] = []

    @active_jobs.job("Billing::ChargeJob", queue="billing", with_job=True)
    class Charge:
        def perform(self, job: JobData, amount: int) -> None:
            seen.append((self, job.job_id, job.locale, amount))

    registry[WRAPPER_CLASS].perform({**job_data("Billing::ChargeJob", [5]), "locale": "fr"})
    registry[WRAPPER_CLASS].perform(job_data("Billing::ChargeJob", [6]))
    assert [s[1:] for s in seen] == [("j-1", "fr", 5), ("j-1", None, 6)]
    assert isinstance(seen[0][0], Charge) and seen[0][0] is not seen[1][0]
    assert active_job_classes(registry) == ["Billing::ChargeJob"]


def test_an_unregistered_active_job_class_fails_naming_it() -> None:
    registry = Registry()
    install(registry)
    with pytest.raises(UnknownActiveJobClass, match="'ReportJob'"):
        registry[WRAPPER_CLASS].perform(job_data("ReportJob", []))


def test_a_performer_error_is_reported_with_the_inner_class_and_the_original_error() -> None:
    registry = Registry()
    active_jobs = install(registry)

    @active_jobs.job("SendInvoiceJob")
    def send_invoice(number: int) -> None:
        raise ValueError(f"card declined for {number}")

    with pytest.raises(ActiveJobPerformError) as info:
        registry[WRAPPER_CLASS].perform(job_data("SendInvoiceJob", [12]))
    assert str(info.value) == "SendInvoiceJob raised ValueError: card declined for 12"
    assert isinstance(info.value.__cause__, ValueError)
    # the failure record's exception field names the original error, as a Rails worker's would
    assert exception_name(info.value) == "ValueError"


@pytest.mark.parametrize(
    ("argument", "error", "fragment"),
    [
        ({"_aj_serialized": "ActiveJob::Serializers::ObjectIdSerializer", "value": 1}, UnknownEncodingError,
         "ObjectIdSerializer"),
        ({"_aj_serialized": "ActiveJob::Serializers::TimeSerializer", "value": "yesterday"},
         ArgumentDecodeError, "yesterday"),
        ({"_aj_serialized": "ActiveJob::Serializers::TimeSerializer", "value": "2024-01-02T03:04:05"},
         ArgumentDecodeError, "with a zone"),
        ({"_aj_globalid": 7}, ArgumentDecodeError, "GlobalID"),
        ({"a": 1, "_aj_symbol_keys": "a"}, ArgumentDecodeError, "symbol key list"),
    ],
)  # fmt: skip
def test_an_argument_python_cannot_read_fails_the_job_instead_of_guessing(
    argument: Any, error: type[Exception], fragment: str
) -> None:
    registry = Registry()
    active_jobs = install(registry)
    active_jobs.register(lambda *a: None, "SendInvoiceJob")
    with pytest.raises(error) as info:
        registry[WRAPPER_CLASS].perform(job_data("SendInvoiceJob", [1, [argument]]))
    assert fragment in str(info.value)
    assert "SendInvoiceJob" in str(info.value) and "arguments[1][0]" in str(info.value)


def test_ruby_truthiness_decides_which_hash_marker_applies() -> None:
    codec = Codec()
    # An empty symbol-key list is true in Ruby: a plain hash, and the keyword marker is left in.
    both = {"a": 1, "_aj_symbol_keys": [], "_aj_ruby2_keywords": ["a"]}
    assert codec.deserialize([both]) == [{"a": 1, "_aj_ruby2_keywords": ["a"]}]
    # A false indifferent-access marker is removed and the symbol keys still apply.
    assert codec.deserialize(
        [{"a": 1, "_aj_hash_with_indifferent_access": False, "_aj_symbol_keys": ["a"]}]
    ) == [{Symbol("a"): 1}]


def test_newer_rails_encodings_are_read_as_well() -> None:
    arguments = [
        {"_aj_serialized": "ActiveJob::Serializers::BigDecimalSerializer", "value": "0.15e1"},
        {
            "_aj_serialized": "ActiveJob::Serializers::RangeSerializer",
            "begin": 1,
            "end": 5,
            "exclude_end": True,
        },
        {
            "_aj_serialized": "ActiveJob::Serializers::TimeWithZoneSerializer",
            "value": "2024-07-04T12:30:15.000000000-04:00",
            "time_zone": "Eastern Time (US & Canada)",
        },
    ]
    big, rng, moment = Codec().deserialize(arguments)
    assert big == Decimal("1.5")
    assert rng == RubyRange(1, 5, True)
    assert isinstance(moment, TimeWithZone) and moment.zone_name == "Eastern Time (US & Canada)"


def test_rails_7_2_writes_the_encodings_rails_6_1_cannot_read_only_when_asked() -> None:
    new = Codec(rails=RailsFormat.RAILS_7_2)
    assert new.serialize([Decimal("2.50"), RubyRange(1, 3)]) == [
        {"_aj_serialized": "ActiveJob::Serializers::BigDecimalSerializer", "value": "2.5"},
        {
            "_aj_serialized": "ActiveJob::Serializers::RangeSerializer",
            "begin": 1,
            "end": 3,
            "exclude_end": False,
        },
    ]
    with pytest.raises(ArgumentEncodeError, match="Range"):
        Codec().serialize([RubyRange(1, 3)])


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (datetime(2024, 1, 2), "naive datetime"),
        ({1: "x"}, "only string and symbol hash keys"),
        ({"_aj_globalid": "x"}, "reserved key"),
        (object(), "unsupported argument type: object"),
        (Decimal("NaN"), "no JSON form"),
    ],
)
def test_python_values_activejob_cannot_carry_are_refused_before_anything_is_pushed(
    value: Any, fragment: str
) -> None:
    with pytest.raises(ArgumentEncodeError, match=fragment):
        Codec().serialize([value])


def test_plain_python_values_get_rails_encodings() -> None:
    moment = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert Codec().serialize([moment, date(2024, 1, 2), timedelta(minutes=2)]) == [
        {
            "_aj_serialized": "ActiveJob::Serializers::TimeSerializer",
            "value": "2024-01-02T03:04:05.000000000Z",
        },
        {"_aj_serialized": "ActiveJob::Serializers::DateSerializer", "value": "2024-01-02"},
        {
            "_aj_serialized": "ActiveJob::Serializers::DurationSerializer",
            "value": 120,
            "parts": [
                [{"_aj_serialized": "ActiveJob::Serializers::SymbolSerializer", "value": "seconds"}, 120]
            ],
        },
    ]
    assert Duration.from_timedelta(timedelta(minutes=2)).to_timedelta() == timedelta(minutes=2)


def test_a_python_enqueued_active_job_lands_on_the_queue_as_rails_writes_it(resque: Resque) -> None:
    # When Python enqueues an ActiveJob job with a keyword argument
    invoice = GlobalID.build("myapp", "Invoice", 7)
    job_id = enqueue(
        resque, "SendInvoiceJob", [invoice, "<b>"], {"notify": True}, queue="mailers", priority=5
    )
    # Then the queue holds Rails' wrapper with Rails' fields, in Rails' order and escaping
    (raw,) = resque.queue_store.everything_in_queue("mailers")
    payload = json.loads(raw)
    assert list(payload) == ["class", "args"] and payload["class"] == WRAPPER_CLASS
    data = payload["args"][0]
    assert list(data) == [
        "job_class", "job_id", "provider_job_id", "queue_name", "priority", "arguments", "executions",
        "exception_executions", "locale", "timezone", "enqueued_at",
    ]  # fmt: skip
    assert (data["job_id"], data["queue_name"], data["priority"]) == (job_id, "mailers", 5)
    assert data["arguments"] == [
        {"_aj_globalid": "gid://myapp/Invoice/7"},
        "<b>",
        {"notify": True, "_aj_ruby2_keywords": ["notify"]},
    ]
    assert b"\\u003cb\\u003e" in raw and raw == encode(payload, Profile.RAILS)
    assert "mailers" in resque.queues()


def test_wait_and_wait_until_delay_the_wrapper_as_rails_adapter_enqueue_at_does(resque: Resque) -> None:
    # When Python enqueues with wait (like perform_later after set(wait: 1.hour)) and wait_until
    job_id = enqueue(resque, "SendInvoiceJob", [1], queue="mailers", wait=timedelta(hours=1))
    later = datetime(2100, 1, 1, tzinfo=timezone.utc)
    enqueue(resque, "SendInvoiceJob", [2], queue="mailers", wait_until=later)
    enqueue(
        resque, "SendInvoiceJob", [3], queue="mailers", wait_until=datetime.now(timezone.utc) - timedelta(1)
    )
    # Then the first two wait in the delayed queue as enqueue_at_with_queue writes them, the due one runs now
    assert resque.size("mailers") == 1
    (first_ts, second_ts) = resque.delayed_queue_peek(0, 10)
    assert abs(first_ts - (datetime.now(timezone.utc).timestamp() + 3600)) < 5
    assert second_ts == int(later.timestamp())
    (raw,) = resque.delayed_store.timestamp_items(first_ts)
    item = json.loads(raw)
    assert list(item) == ["class", "args", "queue"] and item["queue"] == "mailers"
    assert item["class"] == WRAPPER_CLASS and item["args"][0]["job_id"] == job_id
    assert raw == encode(item, Profile.RAILS)
    assert resque.remove_delayed_in_queue(WRAPPER_CLASS, "mailers", item["args"][0]) == 1


def test_a_python_enqueued_job_round_trips_through_the_wrapper(resque: Resque) -> None:
    registry = Registry()
    active_jobs = install(registry)
    seen: list[Any] = []
    performer = active_jobs.register(lambda *a, **kw: seen.append((a, kw)), "SendInvoiceJob", queue="mailers")
    enqueue(resque, performer, [Symbol("urgent"), {Symbol("a"): [1, 2]}], {"copies": 3})
    job = resque.reserve("mailers")
    assert job is not None
    registry[WRAPPER_CLASS].perform(*job.args)
    assert seen == [((Symbol("urgent"), {"a": [1, 2]}), {"copies": 3})]


def test_a_failure_for_an_unregistered_class_is_named_as_ruby_names_it() -> None:
    assert exception_name(UnknownActiveJobClass("ReportJob")) == "NameError"
