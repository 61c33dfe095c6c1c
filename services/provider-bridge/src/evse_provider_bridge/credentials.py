"""Vendor secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) with a key from settings."""

from __future__ import annotations

import json
from collections.abc import Mapping

from cryptography.fernet import Fernet
from pydantic import SecretStr

__all__ = ["SecretBox"]


class SecretBox:
    def __init__(self, key: SecretStr) -> None:
        self._fernet = Fernet(key.get_secret_value().encode())

    def seal(self, values: Mapping[str, str]) -> str:
        return self._fernet.encrypt(json.dumps(dict(values)).encode()).decode()

    def open(self, sealed: str) -> dict[str, str]:
        values: dict[str, str] = json.loads(self._fernet.decrypt(sealed.encode()))
        return values
