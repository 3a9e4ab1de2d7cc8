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

SHOWN_DETAIL = 300  # characters of an error's own words quoted to the user (and stored)
WEB_PAGE_TYPES = ("text/html", "application/xhtml+xml")


class WebPage(NetworkError):
    """A web page answered where the API should be: a captive portal's login, a proxy's block
    page. The network is the problem (hence offline), and asking again at once will not help."""

    retryable = False


def shortened(detail: str) -> str:
    """Outside words cut to a readable length, saying how much was left out (an error body can
    be megabytes: it is shown, stored and sent on in notices)."""
    if len(detail) <= SHOWN_DETAIL:
        return detail
    return f"{detail[:SHOWN_DETAIL]}… ({len(detail) - SHOWN_DETAIL:,} more characters)"


def shown_url(url: object, path: bool = True) -> str:
    """`url` (an httpx URL) as the user may see it: scheme, host, port and (with `path`) path;
    never a user name, password or query that it might carry."""
    host = str(getattr(url, "host", "") or "")
    if ":" in host:
        host = f"[{host}]"
    port = getattr(url, "port", None)
    origin = f"{getattr(url, 'scheme', '')}://{host}" + (f":{port}" if port else "")
    return origin + (str(getattr(url, "path", "")) if path else "")


def web_page(provider: str, content_type: str, url: object) -> WebPage | None:
    """The error for a 200 answer that is a web page, or None when it is not one."""
    kind = content_type.split(";")[0].strip().lower()
    if kind not in WEB_PAGE_TYPES:
        return None
    return WebPage(f"{provider}: {shown_url(url)} answered with a web page ({kind}), not the "
                   "API: a Wi-Fi login page (captive portal) or a proxy? Open any web page in a "
                   "browser to log in, or check the provider's base_url")


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
    detail = shortened(detail)
    said = f"{provider}: HTTP {status}" + (f" ({detail})" if detail else "")
    if status in (401, 403):
        return AuthError(f"{said}: the key was refused", status)
    if status == 429:
        return RateLimited(f"{said}: rate limited", status, wait)
    if status in (408, 409) or status >= 500:
        return Overloaded(f"{said}: the service is busy or failing", status, wait)
    return BadRequest(f"{said}: the request was refused", status)


def network_error(provider: str, error: BaseException, timeout: float) -> NetworkError:
    """What failed, naming the endpoint (from the SDK's request: whatever set it, config.toml
    or the SDK's own ANTHROPIC_BASE_URL / OPENAI_BASE_URL)."""
    request = getattr(error, "request", None)
    where = shown_url(request.url, path=False) if request is not None else "the endpoint"
    if "timeout" in type(error).__name__.lower():
        return NetworkError(f"{provider}: no answer from {where} within {timeout:g} s "
                            "(offline, or the endpoint is down)")
    return NetworkError(f"{provider}: cannot connect to {where} (offline, or the endpoint is "
                        "down)")


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
    return shortened(detail.strip() or "no detail given")
