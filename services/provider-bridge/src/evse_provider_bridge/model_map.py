"""Vendor model names to catalogue models.

A static table rather than a `catalogue.evse_models.list` call per lookup: the catalogue's
model uids are fixed in its seed, the table is reviewed with each new vendor model, and
lookups keep working when the catalogue is down. Keep in step with
`services/catalogue/src/evse_catalogue/data/catalogue.json`.
"""

from __future__ import annotations

__all__ = ["MAKES", "evse_model_uid"]

MAKES = {
    "chargepoint": "ChargePoint",
    "eo": "EO Charging",
    "syncev": "SyncEV",
    "enelx": "Enel X Way",
    "easee": "Easee",
    "wallbox": "Wallbox",
    "zaptec": "Zaptec",
}

_MODELS: dict[tuple[str, str], str] = {
    ("chargepoint", "Home Flex (CPH50, J1772)"): "evsemodel01M89P5KZTWA5S2902VY2JKHEH",
    ("chargepoint", "Home Flex (CPH50, NACS)"): "evsemodel01M89P5KZWHY7X5F3KYW2PSQR4",
    ("eo", "EO Mini Pro 2"): "evsemodel01M89P5KZYHKQX04WQW92RKVRX",
    ("eo", "EO Mini Pro 3"): "evsemodel01M89P5M00KDXEDQVR5AFGMTGK",
    ("syncev", "EVCP-7KW-S-1PH-32A"): "evsemodel01M89P5M02QQPRJCD6X8HW7NVY",
    ("syncev", "WC2"): "evsemodel01M89P5M04RF0KXZMV0JTE0JZT",
    ("enelx", "JuiceBox 40"): "evsemodel01M89P5M0660FQPCG9NA275Q22",
    ("enelx", "JuiceBox 48"): "evsemodel01M89P5M09YZTN1BT4JYXSR08R",
    ("easee", "Easee Home"): "evsemodel01M89P5M0BY8FGWRQAD4TX5WB1",
    ("easee", "Easee Charge Lite"): "evsemodel01M89P5M0DCGVF5N8KRKBMJ7Q0",
    ("easee", "Easee One"): "evsemodel01M89P5M0F818BHRK160MGJ2W0",
    ("wallbox", "Pulsar Plus (EU)"): "evsemodel01M89P5M0HDWRA84YBGK2D4Q32",
    ("wallbox", "Pulsar Plus (North America)"): "evsemodel01M89P5M0KMBXGWA8NTJ1ZCCE0",
    ("wallbox", "Pulsar Max"): "evsemodel01M89P5M0N22K08FX014M95N17",
    ("wallbox", "Commander 2"): "evsemodel01M89P5M0Q5P14A5R48VC9RY8W",
    ("zaptec", "Zaptec Go"): "evsemodel01M89P5M0S3BEHQV5PCC4F0QXC",
    ("zaptec", "Zaptec Go 2"): "evsemodel01M89P5M0VHXMH4Z4MW74EFMD7",
    ("zaptec", "Zaptec Pro"): "evsemodel01M89P5M0YQYMTAXWHD2ACNVZV",
}


def evse_model_uid(provider: str, vendor_model: str) -> str | None:
    return _MODELS.get((provider, vendor_model))
