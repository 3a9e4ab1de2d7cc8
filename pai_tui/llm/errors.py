"""Turning an HTTP failure into the right ProviderError, the same way for every SDK."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from pai_tui.llm.base import (
    AuthError,
    BadRequest,
    NetworkError,
    Overloaded,
    ProviderError,
    RateLimited,
)


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds the server asks us to wait (`retry-after-ms`, `retry-after` seconds or date)."""
    if not headers:
        return None
    if value := headers.get("retry-after-ms"):
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def status_error(provider: str, status: int, detail: str,
                 headers: Mapping[str, str] | None = None) -> ProviderError:
    wait = retry_after(headers)
    said = f"{provider}: HTTP {status}" + (f" ({detail})" if detail else "")
    if status in (401, 403):
        return AuthError(f"{said}: the key was refused", status)
    if status == 429:
        return RateLimited(f"{said}: rate limited", status, wait)
    if status in (408, 409) or status >= 500:
        return Overloaded(f"{said}: the service is busy or failing", status, wait)
    return BadRequest(f"{said}: the request was refused", status)


def network_error(provider: str, error: BaseException, timeout: float) -> NetworkError:
    if "timeout" in type(error).__name__.lower():
        return NetworkError(f"{provider}: no answer within {timeout:g} s (offline, or the "
                            "endpoint is down)")
    return NetworkError(f"{provider}: cannot connect (offline, or the endpoint is down)")
