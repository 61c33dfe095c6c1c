"""`VendorError`: a vendor call that failed, with what an error log records."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["REFUSED_STATUSES", "SignInRefused", "VendorBudgetSpent", "VendorError"]

REFUSED_STATUSES = frozenset({400, 401, 403})
"""What vendors answer a sign-in they refuse (Zaptec's OAuth2 `invalid_grant` is a 400)."""


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


class SignInRefused(VendorError):
    """The vendor refused the account's username and password: retrying will not help."""

    @classmethod
    def from_error(cls, error: VendorError) -> SignInRefused:
        return cls(
            error.provider,
            error.api,
            error.method,
            error.url_path,
            error.message,
            retryable=False,
            http_status=error.http_status,
            error_code=error.error_code,
        )
