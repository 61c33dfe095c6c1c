"""`VendorError`: a vendor call that failed, with what an error log records."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["VendorBudgetSpent", "VendorError"]


@dataclass
class VendorError(Exception):
    provider: str
    api: str
    method: str
    url_path: str
    message: str
    retryable: bool
    http_status: int | None = None
    error_code: str | None = None
    retry_after_s: float | None = None

    def __str__(self) -> str:
        return f"{self.provider} {self.method} {self.url_path}: {self.http_status} {self.message}"


class VendorBudgetSpent(VendorError):
    """Not sent: this replica's request budget for the vendor stayed spent too long."""
