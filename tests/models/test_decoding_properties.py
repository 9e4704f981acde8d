"""Generated JSON thrown at every model and at the decoder of every operation: a model, or the SDK's error.

Hypothesis builds values of every JSON type, hostile ones weighted in (numbers past a float's range, NaN and
infinities, numbers written as text in forms Python reads and JSON does not, wrong types in every field, bodies
nested past the recursion limit), both free-form and shaped like each model with some fields wrong. The properties:

- ``Model.from_dict`` returns an instance of the model or raises ``DecodeError``, nothing else; what it returns
  is written by ``to_dict`` and read back unchanged, so no value was turned into another on the way;
- each of the 21 operations' decoders, given a body as bytes, returns its result or raises a ``SkipcallError``;
- the error-body reader never raises, and only ever takes text from the body.

Each example is bounded by Hypothesis' deadline (far above the milliseconds one takes), so a value that made
decoding hang or grow quadratically fails. The fast tier runs twenty examples of each property; the ``slow``
tier a thousand.
"""

from __future__ import annotations

import asyncio
import enum
import inspect
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, get_args, get_origin, get_type_hints
from unittest import mock

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import skipcall_async
from skipcall_async import DecodeError, Model, Page, SkipcallClient, SkipcallError
from skipcall_async._codec import to_camel
from skipcall_async._decode import ApiResponse, decode_json, error_fields
from skipcall_async._field_types import open_enum_of, optional_inner
from support.operations import OPERATIONS

MODELS: list[type[Model]] = sorted(
    (
        cls
        for name in skipcall_async.__all__
        if inspect.isclass(cls := getattr(skipcall_async, name)) and issubclass(cls, Model)
        if cls not in (Model, Page)
    ),
    key=lambda cls: cls.__name__,
)

HOSTILE_TEXT = [
    "1e400", "-1e400", "nan", "NaN", "inf", "Infinity", "-Infinity", " 7 ", "1_000", "+5", "0x10", "5.7", "245",
    "9" * 401, "", "true", "null", "2026-02-30", "2024-01-15T10:00:00Z", "2024-01-15T10:00:00+25:00", "COMPLETED",
    "\ud800", "\x00",
]  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**450), max_value=10**450),
    st.floats(),  # NaN and the infinities included
    st.sampled_from([1e308, -1e308, 5e-324, 5.7, 5.0, -0.0]),
    st.text(max_size=12),
    st.sampled_from(HOSTILE_TEXT),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def nested(depth: int, leaf: Any) -> Any:
    for _ in range(depth):
        leaf = [leaf]
    return leaf


DEEP = st.builds(nested, st.sampled_from([900, 1_000, 5_000]), st.sampled_from([1, {}, "x"]))


def valid(tp: Any) -> st.SearchStrategy[Any]:
    """Values of the JSON type the field ``tp`` takes, as the API would send them."""
    inner = optional_inner(tp)
    if inner is not None:
        return st.none() | field(inner)
    enum_cls = open_enum_of(tp)
    if enum_cls is not None:
        return st.sampled_from([member.value for member in enum_cls]) | st.text(max_size=8)
    if tp is str:
        return st.text(max_size=12)
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.integers(min_value=-(10**20), max_value=10**20)
    if tp is float:
        return st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**6), 10**6)
    if tp is datetime:
        moments = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC))
        return moments.map(lambda d: d.isoformat().replace("+00:00", "Z"))
    if get_origin(tp) is tuple:
        return st.lists(field(get_args(tp)[0]), max_size=3)
    if get_origin(tp) is Mapping:
        return st.dictionaries(st.text(max_size=8), JSON, max_size=3)
    if isinstance(tp, type) and issubclass(tp, Model):
        return shaped(tp)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return st.sampled_from([member.value for member in tp])
    raise AssertionError(f"no strategy for the field type {tp!r}")


def field(tp: Any) -> st.SearchStrategy[Any]:
    """A value for a field of type ``tp``: mostly of its type, sometimes any JSON, sometimes nested too deep."""
    return st.one_of(valid(tp), JSON, DEEP) if tp is not Any else JSON


def shaped(model: type[Model]) -> st.SearchStrategy[dict[str, Any]]:
    """An object with the model's keys (each present or not) and a few unknown ones."""
    hints = get_type_hints(model)
    keys = {to_camel(f.name): st.deferred(lambda tp=hints[f.name]: field(tp)) for f in attrs.fields(model)}
    keys.pop("extra")
    unknown = st.dictionaries(st.text(max_size=8).filter(lambda k: k not in keys), JSON, max_size=2)
    return st.builds(lambda known, extra: {**extra, **known}, st.fixed_dictionaries({}, optional=keys), unknown)


def document(model: type[Model]) -> st.SearchStrategy[Any]:
    return st.one_of(shaped(model), JSON, DEEP)


def outcome(decode: Callable[[Any], Any], data: Any) -> tuple[Any, SkipcallError | None]:
    """(what ``decode`` returned, None) or (None, the SDK error it raised); any other exception propagates."""
    try:
        return decode(data), None
    except SkipcallError as error:
        return None, error


def check_from_dict(model: type[Model], data: Any) -> None:
    decoded, error = outcome(model.from_dict, data)
    if error is not None:
        assert isinstance(error, DecodeError), error
        assert error.field is None or isinstance(error.field, str)
        assert error.status is None
        return
    assert type(decoded) is model
    written = decoded.to_dict()
    json.dumps(written, allow_nan=False)  # what to_dict writes is JSON, NaN and infinities excluded
    assert model.from_dict(written) == decoded  # nothing was turned into another value on the way


EVERY_MODEL = st.sampled_from(MODELS).flatmap(lambda model: st.tuples(st.just(model), document(model)))
FAST = settings(max_examples=20, deadline=timedelta(seconds=2), suppress_health_check=[HealthCheck.too_slow])
THOROUGH = settings(max_examples=1000, deadline=timedelta(seconds=2), suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(EVERY_MODEL)
def test_from_dict_gives_the_model_or_a_decode_error(case: tuple[type[Model], Any]) -> None:
    """Any JSON, to any model: the model (which round-trips) or a DecodeError."""
    check_from_dict(*case)


@pytest.mark.slow
@THOROUGH
@given(EVERY_MODEL)
def test_from_dict_gives_the_model_or_a_decode_error_thoroughly(case: tuple[type[Model], Any]) -> None:
    """The same property, over a thousand examples."""
    check_from_dict(*case)


def operation_decoders() -> dict[str, Callable[[ApiResponse], Any]]:
    """The decoder each operation hands the request funnel, captured from the funnel's call."""
    decoders: dict[str, Callable[[ApiResponse], Any]] = {}

    class Captured(Exception):
        pass

    async def funnel(self: SkipcallClient, method: str, path: str, decode: Callable[..., Any], **_: Any) -> Any:
        raise Captured(decode)

    async def capture() -> None:
        async with SkipcallClient("sk_test_properties", base_url="http://127.0.0.1:9") as client:
            for name, call in OPERATIONS.items():
                with pytest.raises(Captured) as captured:
                    await call(client)
                decoders[name] = captured.value.args[0]

    with mock.patch.object(SkipcallClient, "_request", funnel):
        asyncio.run(capture())
    return decoders


DECODERS = operation_decoders()


def body_of(value: Any) -> st.SearchStrategy[bytes]:
    """``value`` as a body: JSON text (NaN and infinities written as Python writes them), maybe garbled."""
    try:
        text = json.dumps(value, allow_nan=True).encode("utf-8", "surrogatepass")
    except (RecursionError, ValueError):
        text = b"[" * 5_000 + b"]" * 5_000
    return st.sampled_from([text, text[: len(text) // 2], b"\xef\xbb\xbf" + text, text.replace(b"1", b"\xff")])


BODIES = st.one_of(st.binary(max_size=64), JSON.flatmap(body_of), DEEP.flatmap(body_of))
RESPONSES = st.sampled_from(sorted(DECODERS)).flatmap(lambda name: st.tuples(st.just(name), BODIES))
MODEL_BODIES = st.sampled_from(MODELS).flatmap(lambda model: shaped(model).flatmap(body_of))


def check_decoder(name: str, body: bytes) -> None:
    result, error = outcome(lambda raw: DECODERS[name](ApiResponse(200, {}, decode_json(200, raw, {}))), body)
    if error is not None:
        assert isinstance(error, DecodeError), error
        assert error.status == 200
        return
    if isinstance(result, Model):
        json.dumps(result.to_dict(), allow_nan=False)


def test_every_operation_s_decoder_was_captured() -> None:
    """The properties below cover the 21 operations, each through the decoder it really uses."""
    assert len(DECODERS) == 21
    assert len({id(decoder) for decoder in DECODERS.values()}) > 10


@FAST
@given(RESPONSES)
def test_an_operation_s_decoder_gives_its_result_or_a_decode_error(case: tuple[str, bytes]) -> None:
    """Any body, to any operation: its result, or a DecodeError carrying the status."""
    check_decoder(*case)


@FAST
@given(st.sampled_from(sorted(DECODERS)), MODEL_BODIES)
def test_an_operation_s_decoder_given_a_model_shaped_body(name: str, body: bytes) -> None:
    """Bodies shaped like some model, some fields wrong, to every operation."""
    check_decoder(name, body)


@pytest.mark.slow
@THOROUGH
@given(RESPONSES)
def test_an_operation_s_decoder_gives_its_result_or_a_decode_error_thoroughly(case: tuple[str, bytes]) -> None:
    """The same property, over a thousand examples."""
    check_decoder(*case)


@pytest.mark.slow
@THOROUGH
@given(st.sampled_from(sorted(DECODERS)), MODEL_BODIES)
def test_an_operation_s_decoder_given_a_model_shaped_body_thoroughly(name: str, body: bytes) -> None:
    """The same property, over a thousand examples."""
    check_decoder(name, body)


@FAST
@given(BODIES)
def test_an_error_body_gives_text_or_nothing(body: bytes) -> None:
    """The code and message of an error answer are text taken from the body, or None; reading never raises."""
    code, message = error_fields(body)
    assert code is None or isinstance(code, str)
    assert message is None or isinstance(message, str)
    for text in (code, message):
        assert text is None or not (text.startswith("{'") or text.startswith("[") or text in ("True", "False"))


def test_every_field_of_every_model_has_a_strategy() -> None:
    """The 25 models, and a strategy of its own type for each field (an unknown field type would fail here)."""
    assert len(MODELS) == 25
    for model in MODELS:
        hints = get_type_hints(model)
        for name in (f.name for f in attrs.fields(model) if f.name != "extra"):
            assert valid(hints[name]) is not None
