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
    json_kind,
)

SHOWN_DETAIL = 300  # characters of an error event's own words quoted to the user


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


def stream_error_detail(error: object, fields: tuple[str, ...] = ("type", "message")) -> str:
    """What an error event says, whatever its shape: an object's `fields` (the ones that are
    text), a bare string, or else what it is; shortened (it is outside text)."""
    if isinstance(error, dict):
        detail = ": ".join(str(part) for name in fields
                           if isinstance(part := error.get(name), str | int) and part != "")
    elif isinstance(error, str):
        detail = error
    else:
        detail = f"an error that is {json_kind(error)}"
    detail = detail.strip() or "no detail given"
    return detail if len(detail) <= SHOWN_DETAIL else detail[:SHOWN_DETAIL] + "…"
