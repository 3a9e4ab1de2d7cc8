"""The SDK clients of one provider, one per key: made on first use (each takes tens of ms, so
`prepare` makes one ahead of the first request) and closed together, before their event loop
ends. Shared by the providers of every SDK; imported only by them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, Protocol, TypeVar

import httpx2


class _Closable(Protocol):
    def close(self) -> Awaitable[None]: ...


Client = TypeVar("Client", bound=_Closable)


class ClientCache(Generic[Client]):
    """`make(key)` once per key (None: no key), the same client afterwards."""

    def __init__(self, make: Callable[[str | None], Client]) -> None:
        self._make = make
        self._clients: dict[str | None, Client] = {}

    def get(self, key: str | None) -> Client:
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = self._make(key)
        return client

    def prepare(self, key: str | None) -> None:
        """Make the client for `key` ahead of the first request."""
        self.get(key)

    def __len__(self) -> int:
        return len(self._clients)

    async def aclose(self) -> None:
        """Close every client made so far; the next `get` makes a new one."""
        clients, self._clients = self._clients, {}
        for client in clients.values():
            await client.close()


def sdk_timeout(seconds: float) -> httpx2.Timeout:
    """The SDKs' timeout for pai's `timeout` setting: connecting gives up after 10 s at most."""
    return httpx2.Timeout(seconds, connect=min(seconds, 10.0))
