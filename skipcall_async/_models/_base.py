"""What every response model shares: frozen, keyword-only, a home for fields the SDK does not know yet, and JSON.

The JSON methods run functions that ``skipcall_async._codec`` builds: the codec is built from these classes, so
they cannot import it. Instead the codec, as it is imported, installs here how to build a type's decoder and
encoder (the package imports it first). Each is built on first use and kept, so a call costs one dict lookup:
no import, no dispatch.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NoReturn, Self

import attrs

_NO_EXTRA: Mapping[str, Any] = MappingProxyType({})
_decoders: dict[Any, Callable[[Any], Any]] = {}  # a model class or Page[Item] -> data -> instance
_encoders: dict[type, Callable[[Any], dict[str, Any]]] = {}  # a model class -> instance -> JSON object
_compact_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode  # json.dumps builds one per call


def _no_codec(tp: Any) -> NoReturn:
    raise RuntimeError(f"no JSON codec for {tp!r}: skipcall_async._codec installs it when skipcall_async is imported")


_decoder_of: Callable[[Any], Callable[[Any], Any]] = _no_codec
_encoder_of: Callable[[type], Callable[[Any], dict[str, Any]]] = _no_codec


def install_codec(
    decoder_of: Callable[[Any], Callable[[Any], Any]], encoder_of: Callable[[type], Callable[[Any], dict[str, Any]]]
) -> None:
    """How to build a type's decoder (``data -> instance``, ``ValueError`` if it does not fit) and encoder."""
    global _decoder_of, _encoder_of
    _decoder_of, _encoder_of = decoder_of, encoder_of
    _decoders.clear()
    _encoders.clear()


def decoder(tp: Any) -> Callable[[Any], Any]:
    """The decoder of ``tp`` (a model class, or ``Page[Item]``), built by the codec on first use and kept."""
    decode = _decoders.get(tp)
    if decode is None:
        decode = _decoders[tp] = _decoder_of(tp)
    return decode


def encoder(cls: type) -> Callable[[Any], dict[str, Any]]:
    """The encoder of model class ``cls``, built by the codec on first use and kept."""
    encode = _encoders.get(cls)
    if encode is None:
        encode = _encoders[cls] = _encoder_of(cls)
    return encode


@attrs.frozen(kw_only=True)
class Model:
    """Base of all response models: frozen, keyword-only attrs classes that convert to and from the API's JSON.

    Each model declares its fields in the order the API sends them, the order
    [`to_dict`][skipcall_async.Model.to_dict] writes them in.

    Attributes:
        extra: The response fields this version of the SDK does not model, keyed as the API sent them
            (camelCase), so that a field the API adds tomorrow is reachable today instead of silently dropped.
    """

    extra: Mapping[str, Any] = attrs.field(default=_NO_EXTRA, repr=False, eq=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Decode a JSON object as the client decodes a response into this model.

        Unknown fields go to `extra`, unknown enum values stay strings, and timestamps become timezone-aware
        datetimes, exactly as for a response. Useful to rebuild a model from JSON you stored, such as the output
        of [`to_dict`][skipcall_async.Model.to_dict] or [`to_json`][skipcall_async.Model.to_json] (through
        `json.loads`).

        Args:
            data: The JSON object, with the API's camelCase keys.

        Returns:
            An instance of the class it is called on, a [`Call`][skipcall_async.Call] for `Call.from_dict`.

        Raises:
            ValueError: `data` does not fit the model: not an object, a required field missing, or a value of
                the wrong type (the client raises [`DecodeError`][skipcall_async.DecodeError] for the same).
        """
        result: Self = (_decoders.get(cls) or decoder(cls))(data)  # decoder(cls), its lookup inlined: no call
        return result

    def to_dict(self) -> dict[str, Any]:
        """The JSON object the API sent for this model, rebuilt: `Model.from_dict(m.to_dict()) == m`.

        Keys are camelCase, in the API's order, followed by the fields in `extra` (at every level of nesting);
        None is written as null; enum members as their strings; nested models as objects, lists of them as
        arrays. Timestamps are written as the API writes them, `2024-01-15T10:30:00.000Z`; a float holding a
        whole number as an integer (`245`, not `245.0`). The result is new: changing it never changes the model.

        Returns:
            A dict of JSON values, ready for `json.dumps`.
        """
        return (_encoders.get(self.__class__) or encoder(self.__class__))(self)  # as in from_dict

    def to_json(self) -> str:
        """[`to_dict`][skipcall_async.Model.to_dict] as compact JSON text, as the API sends it.

        No spaces after separators, and non-ASCII characters written as themselves, as JavaScript's
        `JSON.stringify` writes them: for each of the API's documented examples, the example's own text, apart
        from the forms the documentation lists as normalised.

        Returns:
            The JSON text.
        """
        return _compact_json(self.to_dict())
