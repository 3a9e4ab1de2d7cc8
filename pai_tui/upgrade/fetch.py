"""Fetching a source's document the way a good feed reader does: conditional GET (ETag and
Last-Modified), a timeout, a size cap read as the body streams, bounded redirects, a limit on
requests at once per host, and what the server said about when to come back (Retry-After,
Cache-Control max-age), capped. HTTP is httpx2, which the model SDKs already bring: no second
client to install, and its async API keeps fetching off the UI's event loop."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlparse

from pai_tui import __version__

if TYPE_CHECKING:
    import httpx2

TIMEOUT_S = 20.0
MAX_BYTES = 5_000_000  # a feed bigger than this is refused, not read into memory
MAX_REDIRECTS = 5
PER_HOST = 2  # requests at once to one host
WAIT_CAP_S = 24 * 3600.0  # the longest a server may ask us to stay away
USER_AGENT = f"pai/{__version__} (upgrade feed; a personal AI cockpit)"

Outcome = Literal["fetched", "not-modified", "failed"]


@dataclass(frozen=True)
class Validators:
    """What the last answer said to send back, so an unchanged feed costs a 304."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Fetched:
    outcome: Outcome
    url: str  # where the document came from, after redirects
    status: int | None = None
    body: bytes = b""
    content_type: str | None = None
    validators: Validators = Validators()
    wait: float | None = None  # seconds the server asked us to wait before the next request
    error: str | None = None


class Fetcher:
    def __init__(self, timeout: float = TIMEOUT_S, max_bytes: int = MAX_BYTES,
                 per_host: int = PER_HOST):
        self.timeout, self.max_bytes, self.per_host = timeout, max_bytes, per_host
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._client: httpx2.AsyncClient | None = None

    def _http(self) -> httpx2.AsyncClient:
        if self._client is None:
            import httpx2

            self._client = httpx2.AsyncClient(
                follow_redirects=True, max_redirects=MAX_REDIRECTS, timeout=self.timeout,
                headers={"user-agent": USER_AGENT,
                         "accept": "application/atom+xml, application/rss+xml, "
                                   "application/feed+json, application/xml;q=0.9, */*;q=0.8"})
        return self._client

    async def ready(self) -> None:
        """Make the HTTP client now, in a thread: loading the CA certificates takes 35-80 ms
        that the cockpit's keys would wait for on the UI loop."""
        if self._client is None:
            await asyncio.to_thread(self._http)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def fetch(self, url: str, validators: Validators = Validators()) -> Fetched:
        """The document at `url`, or why not; never raises for what the network or the server
        did."""
        host = urlparse(url).netloc.lower()
        gate = self._hosts.setdefault(host, asyncio.Semaphore(self.per_host))
        async with gate:
            return await self._get(url, validators)

    async def _get(self, url: str, validators: Validators) -> Fetched:
        import httpx2

        headers = {}
        if validators.etag:
            headers["if-none-match"] = validators.etag
        if validators.last_modified:
            headers["if-modified-since"] = validators.last_modified
        try:
            async with asyncio.timeout(self.timeout):  # the whole answer, not each read
                async with self._http().stream("GET", url, headers=headers) as response:
                    return await self._answer(response, validators)
        except TimeoutError:
            return Fetched("failed", url, error=f"no whole answer within {self.timeout:g} s")
        except httpx2.TooManyRedirects:
            return Fetched("failed", url, error=f"more than {MAX_REDIRECTS} redirects "
                                                "(a redirect loop?)")
        except httpx2.InvalidURL as error:
            return Fetched("failed", url, error=f"not a URL pai can fetch: {error}")
        except httpx2.HTTPError as error:
            return Fetched("failed", url, error=f"{type(error).__name__}: {error}".rstrip(": "))

    async def _answer(self, response: httpx2.Response, sent: Validators) -> Fetched:
        url, status = str(response.url), response.status_code
        wait = server_wait(response.headers.get("retry-after"),
                           response.headers.get("cache-control"))
        if status == 304:
            return Fetched("not-modified", url, status, validators=sent, wait=wait)
        if status >= 400:
            reason = response.reason_phrase or "error"
            return Fetched("failed", url, status, wait=wait, error=f"HTTP {status} {reason}")
        length = response.headers.get("content-length")
        if length and length.isdigit() and int(length) > self.max_bytes:
            return Fetched("failed", url, status, error=self._too_big())
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > self.max_bytes:
                return Fetched("failed", url, status, error=self._too_big())
        validators = Validators(response.headers.get("etag"),
                                response.headers.get("last-modified"))
        return Fetched("fetched", url, status, bytes(body), response.headers.get("content-type"),
                       validators, wait)

    def _too_big(self) -> str:
        return f"larger than {self.max_bytes / 1e6:g} MB: not read"


_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


def server_wait(retry_after: str | None, cache_control: str | None,
                now: datetime | None = None) -> float | None:
    """Seconds the server asked us to wait: Retry-After (seconds or an HTTP date), else
    Cache-Control's max-age; capped at a day. None: it said nothing usable."""
    wait: float | None = None
    if retry_after:
        value = retry_after.strip()
        if value.isdigit():
            wait = float(value)
        else:
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError):
                when = None
            if when is not None:
                when = when if when.tzinfo else when.replace(tzinfo=UTC)
                wait = max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
    if wait is None and cache_control:
        match = _MAX_AGE.search(cache_control)
        if match:
            wait = float(match.group(1))
    return None if wait is None else min(wait, WAIT_CAP_S)
