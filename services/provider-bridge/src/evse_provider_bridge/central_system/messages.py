"""OCPP-J messages from already-parsed frames, and payload keys between camelCase and
snake_case (pure).

The `ocpp` package parses every frame again (`unpack`) and runs two regular expressions on
every key of every payload; here the frame the log already parsed is reused, and each key is
converted by the package's own functions once, then remembered.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ocpp.charge_point import camel_to_snake_case, snake_to_camel_case
from ocpp.messages import Call, CallError, CallResult

from .frames import frame_of

__all__ = ["message_of", "to_camel_case", "to_snake_case"]

_KEYS = 1024
"""Distinct keys remembered per direction: OCPP 1.6 has a few hundred."""
_NESTED = (dict, list)
"""Only these are descended into: a call per scalar value was most of the conversion."""


def message_of(message: Any) -> Call | CallResult | CallError | None:
    """What `ocpp.messages.unpack` gives for a frame the log could read; None for any other,
    which `unpack` itself should turn into the package's error."""
    frame = frame_of(message)
    if frame is None:
        return None
    if frame.message_type_id == 2:
        return Call(*message[1:])
    if frame.message_type_id == 3:
        return CallResult(*message[1:])
    return CallError(*message[1:])


def to_snake_case(data: Any) -> Any:
    """`ocpp.charge_point.camel_to_snake_case`, each key converted once."""
    if isinstance(data, dict):
        return {
            _snake_key(key): to_snake_case(value) if isinstance(value, _NESTED) else value
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [to_snake_case(value) if isinstance(value, _NESTED) else value for value in data]
    return data


def to_camel_case(data: Any) -> Any:
    """`ocpp.charge_point.snake_to_camel_case`, each key converted once."""
    if isinstance(data, dict):
        return {
            _camel_key(key): to_camel_case(value) if isinstance(value, _NESTED) else value
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [to_camel_case(value) if isinstance(value, _NESTED) else value for value in data]
    return data


@lru_cache(maxsize=_KEYS)
def _snake_key(key: str) -> str:
    return str(next(iter(camel_to_snake_case({key: None}))))


@lru_cache(maxsize=_KEYS)
def _camel_key(key: str) -> str:
    return str(next(iter(snake_to_camel_case({key: None}))))
