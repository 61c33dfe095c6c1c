"""The smart-charging service: the `evse_smart_charging` library on the bus and in MongoDB."""
