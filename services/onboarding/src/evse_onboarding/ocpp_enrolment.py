"""The OCPP step of the hosted flow: get the charger's credentials from the bridge, show them.

The bridge keeps only a hash of the password, so this page is the one time anyone sees it;
reloading the POST finds the session closed and shows "already connected" instead.
"""

from __future__ import annotations

from evse_contracts.bridge import (
    BRIDGE_OCPP_CREDENTIALS_ISSUE,
    IssueOcppCredentials,
    OcppCredentials,
)
from evse_runtime.bus_client import BusClient

from .registry import EvseRecord

__all__ = ["issue_ocpp_credentials"]


async def issue_ocpp_credentials(
    bus: BusClient, record: EvseRecord, charge_point_id: str, *, request_id: str
) -> OcppCredentials:
    """Enrol (or rotate) the charger's HTTP Basic password at the provider bridge."""
    request = IssueOcppCredentials(
        evse_uid=record.uid,
        application_uid=record.application_uid,
        charge_point_id=charge_point_id,
    )
    return await bus.request(BRIDGE_OCPP_CREDENTIALS_ISSUE, request, request_id=request_id)
