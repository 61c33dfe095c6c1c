"""Any JSON a vendor or a relay sends where a status or a push belongs is read or refused as
a shape error (`SHAPE_ERRORS`), which polling, lookups and pushes turn into a vendor error or
a dead letter: nothing else escapes (a null status body once raised AttributeError)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evse_provider_bridge.adapters import chargepoint, easee, wallbox, zaptec
from evse_provider_bridge.adapters.payloads import SHAPE_ERRORS

KEYS = [
    # the keys the adapters read (vendor bodies and relayed pushes)
    *("chargerId", "deviceId", "id", "status", "state", "data", "config_data", "software"),
    *("status_id", "charging_power", "added_energy", "max_charging_current", "currentVersion"),
    *("mid", "observations", "Id", "StateId", "ChargerId", "ValueAsString", "Value"),
    *("chargerOpMode", "totalPower", "sessionEnergy", "lifetimeEnergy", "dynamicChargerCurrent"),
    *("deviceData", "portsInfo", "chargingStatus", "ticket", "ackId", "result", "commandId"),
]
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=10)
    | st.sampled_from(KEYS),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=6)
    ),
    max_leaves=25,
)
EXAMPLES = settings(
    max_examples=400, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


def pushed(read_push: Callable[[bytes], object]) -> Callable[[Any], object]:
    """A push reader fed a body as a push arrives: JSON bytes."""

    def read(body: Any) -> object:
        return read_push(json.dumps(body).encode())

    return read


READERS: dict[str, Callable[[Any], object]] = {
    "wallbox push": pushed(wallbox.WallboxAdapter.read_push),
    "chargepoint push": pushed(chargepoint.ChargePointAdapter.read_push),
    "easee push": pushed(easee.EaseeAdapter.read_push),
    "zaptec push": pushed(zaptec.ZaptecAdapter.read_push),
    "wallbox status": wallbox.status_from_body,
    "easee status": easee.status_from_observations,
    "zaptec status": zaptec.status_from_observations,
}


@pytest.mark.parametrize("reader", READERS)
@EXAMPLES
@given(JSON)
def test_a_body_of_any_shape_is_read_or_refused_as_a_shape_error(reader: str, body: Any) -> None:
    try:
        READERS[reader](body)
    except SHAPE_ERRORS:
        pass
