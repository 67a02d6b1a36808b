"""The Ruby-exact JSON encoder: floats, escapes, profiles, refusals (spec section 3.2)."""

from __future__ import annotations

import json
import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from resque_compat.errors import DecodeError, EncodeError
from resque_compat.protocol import Profile, decode, encode, encode_job, oj_float, ruby_float

RUBY_FLOAT = re.compile(r"^-?(\d+\.\d+|\d\.\d+e[+-]\d{2,3})$")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1.0"),
        (0.1, "0.1"),
        (100.0, "100.0"),
        (-0.0, "-0.0"),
        (1e14, "100000000000000.0"),
        (1e15, "1.0e+15"),
        (1e16, "1.0e+16"),
        (1e20, "1.0e+20"),
        (1e100, "1.0e+100"),
        (1e-4, "0.0001"),
        (1e-5, "1.0e-05"),
        (9.9e-5, "9.9e-05"),
        (1.5e-7, "1.5e-07"),
        (5e-324, "5.0e-324"),
        (123456789.123456789, "123456789.12345679"),
        (1000000000000000.5, "1000000000000000.5"),
        (1234567890123456.0, "1.234567890123456e+15"),
        (1234567890123456.7, "1234567890123456.8"),
        (2.0**62, "4.611686018427388e+18"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
    ],
)
def test_floats_are_written_as_ruby_float_to_s_writes_them(value: float, text: str) -> None:
    assert ruby_float(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (-0.0, "0.0"),
        (1e15, "1000000000000000.0"),
        (1e16, "10000000000000000.0"),
        (2.0**62, "4611686018427387904.0"),
        (-(2.0**63), "-9223372036854775808.0"),
        (2.0**63, "9.223372036854776e+18"),
        (1e19, "1.0e+19"),
        (1e-5, "1.0e-05"),
        (0.1, "0.1"),
    ],
)
def test_the_oj_profile_writes_integral_floats_within_int64_in_fixed_notation(
    value: float, text: str
) -> None:
    assert oj_float(value) == text


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_finite_float_round_trips_through_ruby_text(value: float) -> None:
    text = ruby_float(value)
    assert RUBY_FLOAT.match(text), text
    assert float(text) == value
    assert math.copysign(1, float(text)) == math.copysign(1, value)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_oj_text_reads_back_as_the_same_number(value: float) -> None:
    assert float(oj_float(value)) == value


json_scalars = st.none() | st.booleans() | st.integers(min_value=-(2**80), max_value=2**80) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_without_floats_the_json_gem_bytes_equal_compact_json_with_raw_utf8(value: object) -> None:
    # Ruby's json gem and Python's json module agree on every escape when ensure_ascii is off.
    expected = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass")
    try:
        assert encode(value) == expected
    except EncodeError:
        # lone surrogates cannot be UTF-8: Ruby refuses invalid strings too
        assert re.search("[\ud800-\udfff]", json.dumps(value, ensure_ascii=False))


@given(json_values)
def test_decoding_what_was_encoded_gives_the_value_back(value: object) -> None:
    try:
        encoded = encode(value, Profile.RAILS)
    except EncodeError:
        return
    assert decode(encoded) == value


def test_strings_keep_ruby_escapes_and_raw_unicode() -> None:
    text = "a/b \\ \" \n \t \b \f \r \x00 \x01 \x1f \x7f <>&' \u2028 é 日本 😀"
    assert encode([text]) == (
        '["a/b \\\\ \\" \\n \\t \\b \\f \\r \\u0000 \\u0001 \\u001f \x7f <>&\' \u2028 é 日本 😀"]'.encode()
    )


def test_the_rails_profile_escapes_html_characters_and_line_separators() -> None:
    assert (
        encode(["<b>&</b> \u2028\u2029"], Profile.RAILS)
        == b'["\\u003cb\\u003e\\u0026\\u003c/b\\u003e \\u2028\\u2029"]'
    )


def test_hash_keys_are_written_with_ruby_to_s_and_keep_insertion_order() -> None:
    assert (
        encode({"z": 1, 3: 4, None: 1, 1.5: 2, True: 0, "a": 2})
        == b'{"z":1,"3":4,"":1,"1.5":2,"true":0,"a":2}'
    )


def test_integers_past_64_bits_are_written_exactly() -> None:
    assert encode([2**64, -(2**70)]) == b"[18446744073709551616,-1180591620717411303424]"
    assert decode(b"[18446744073709551616]") == [2**64]


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_refused_naming_the_argument(bad: float) -> None:
    with pytest.raises(EncodeError) as err:
        encode_job("Archive", [1, {"ratio": [bad]}])
    assert err.value.path == "args[1]['ratio'][0]"
    assert "GeneratorError" in str(err.value)


def test_objects_json_cannot_carry_are_refused_naming_the_argument() -> None:
    with pytest.raises(EncodeError) as err:
        encode_job("Archive", ["ok", {"when": object()}])
    assert err.value.path == "args[1]['when']"
    assert "cannot encode object" in str(err.value)


def test_a_job_payload_has_class_then_args_in_that_order() -> None:
    assert encode_job("Archive", (44, "masterbrew")) == b'{"class":"Archive","args":[44,"masterbrew"]}'
    assert encode_job("NoArgs", []) == b'{"class":"NoArgs","args":[]}'


def test_invalid_json_comes_back_as_an_error_that_keeps_the_bytes() -> None:
    raw = b'{"class":"Archive","args":[1,'
    with pytest.raises(DecodeError) as err:
        decode(raw, key="resque:queue:files")
    assert err.value.raw == raw
    assert err.value.key == "resque:queue:files"


def test_invalid_utf8_inside_a_string_comes_back_as_an_error_that_keeps_the_bytes() -> None:
    # Ruby's Oj backend writes a String that is not valid UTF-8 through unchanged.
    raw = b'{"class":"PayloadJob","args":["\xff\xfe"]}'
    with pytest.raises(DecodeError) as err:
        decode(raw, key="resque:queue:payloads")
    assert err.value.raw == raw


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_the_rails_profile_refuses_nan_and_infinity_where_rails_would_write_null(bad: float) -> None:
    # A Rails process writes them as null (fixtures/payloads.json, float_nan); a Python caller
    # gets an error naming the argument instead of a job whose value silently became nil.
    with pytest.raises(EncodeError) as err:
        encode_job("PayloadJob", [1.5, bad], Profile.RAILS)
    assert err.value.path == "args[1]"


@pytest.mark.parametrize("levels", [201, 996, 100_000])
def test_json_nested_deeper_than_the_limit_is_a_decode_error_keeping_the_bytes(levels: int) -> None:
    raw = b'{"class":"C","args":[' + b"[" * levels + b"]" * levels + b"]}"
    with pytest.raises(DecodeError) as err:
        decode(raw, key="resque:queue:q1")
    assert err.value.raw == raw
    assert "nested more than" in err.value.reason


def test_json_nested_to_the_limit_decodes_and_encodes_back_to_the_same_bytes() -> None:
    raw = b'{"a":' * 100 + b"[" * 100 + b"]" * 100 + b"}" * 100
    assert encode(decode(raw)) == raw
    # Brackets inside strings do not count as nesting.
    many = b'["' + b"[" * 5000 + b'"]'
    assert decode(many) == ["[" * 5000]
