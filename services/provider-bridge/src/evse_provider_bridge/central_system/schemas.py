"""OCPP 1.6J payload validation against the `ocpp` package's own JSON schemas, compiled once.

The package validates with `jsonschema`, which walks each schema for every frame: ~1 ms for a
MeterValues on this machine, more than everything else a frame costs. The same schema files
compiled by `fastjsonschema` accept and refuse the same payloads ~20x faster (formats are not
checked, as the package does not check them either). A payload it refuses is checked again
by the package, so a charger gets the very CALLERROR it got before: the two libraries report
a different first violation when a payload has several.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import ocpp.messages
from ocpp.exceptions import FormatViolationError, NotImplementedError
from ocpp.messages import Call, CallResult, MessageType

__all__ = ["validate_payload"]

_SCHEMAS = Path(ocpp.messages.__file__).parent / "v16" / "schemas"
_VERSION = "1.6"


async def validate_payload(message: Call | CallResult) -> None:
    """Raise the package's `OCPPError` when `message`'s payload breaks its schema."""
    suffix = "Response" if message.message_type_id == MessageType.CallResult else ""
    try:
        _validator(f"{message.action}{suffix}")(message.payload)
    except fastjsonschema.JsonSchemaValueException as error:
        await ocpp.messages.validate_payload(message, _VERSION)
        raise FormatViolationError(details={"cause": error.message}) from error


@cache
def _validator(schema_name: str) -> Callable[[Any], Any]:
    """One per action and direction (OCPP 1.6 has a bounded set), built on first use."""
    try:
        schema = json.loads((_SCHEMAS / f"{schema_name}.json").read_text("utf-8-sig"))
    except (OSError, ValueError):
        raise NotImplementedError(
            details={"cause": f"Failed to validate action: {schema_name}"}
        ) from None
    return fastjsonschema.compile(schema, use_formats=False)
