"""Resilience around one provider: bounded retries with backoff on 429 / 5xx / overload / network
(never more than `max_wait` per wait, whatever retry-after says), then the next key where several
are configured; every step told to the user as a Notice. SDK retries are off: this is the only
retry loop, so there is no retry storm."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from pai_tui.llm.base import (
    AuthError,
    ChatRequest,
    Delta,
    Notice,
    Provider,
    ProviderError,
    Stop,
    TextPart,
    ToolCallPart,
    Usage,
)
from pai_tui.llm.keys import Key, mask


class CallWatch(Protocol):
    """Who hears how one model call goes (its timeline span, its budget), told from inside the
    retry loop so that watching adds no layer to the delta path."""

    def began(self) -> None: ...  # the first text or tool call (of the attempt that counts)

    def used(self, usage: Usage) -> None: ...  # the running total so far

    def stopped(self, stop: Stop) -> None: ...

    def ended(self, failure: BaseException | None) -> None: ...  # once, however it ends


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 3  # attempts after the first, per key
    max_wait: float = 20.0
    base: float = 0.5

    def wait(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is None:
            import random  # only when a retry happens

            retry_after = self.base * 2 ** attempt * (1 + random.random() / 10)
        return min(max(retry_after, 0.0), self.max_wait)


def _hide(text: str, keys: list[Key]) -> str:
    for key in keys:
        text = text.replace(key.value, mask(key.value))
    return text


async def stream_with_retries(
    provider: Provider, request: ChatRequest, keys: list[Key], policy: RetryPolicy,
    key_variables: list[str], sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    watch: CallWatch | None = None,
    on_key: Callable[[Key, ProviderError | None], None] | None = None,
) -> AsyncIterator[Delta]:
    """The provider's deltas, retried and rotated as the policy says. Once the answer has begun
    (text or a tool call) nothing is retried: a later failure is raised for the caller to mark
    the answer incomplete; a Usage alone is no beginning. Usage deltas are running totals over
    every attempt: the tokens of an attempt that failed after the model took them count too.
    `watch` hears the call's start, usage, stop and end; `on_key` hears which key was accepted
    (None) or refused (the AuthError), for `pai secrets list`."""
    failure: BaseException | None = None
    try:
        if not keys and key_variables and provider.kind in ("anthropic", "openai"):
            names = " or ".join(key_variables)
            raise AuthError(f"{provider.name}: no key: set {names} (in the environment or in "
                            "secrets.toml in PAI_HOME)")
        key_index = 0
        spent = Usage()  # by attempts that failed
        while True:
            key = keys[key_index] if keys else None
            attempt = 0
            while True:
                started = False
                used = Usage()
                try:
                    async for delta in provider.stream(request, key.value if key else None):
                        if isinstance(delta, TextPart | ToolCallPart):
                            if not started:
                                started = True
                                if watch is not None:
                                    watch.began()
                        elif isinstance(delta, Usage):
                            used = delta
                            delta = spent + used
                            if watch is not None:
                                watch.used(delta)
                        elif isinstance(delta, Stop) and watch is not None:
                            watch.stopped(delta)
                        yield delta
                    if on_key is not None and key is not None:
                        on_key(key, None)
                    return
                except ProviderError as error:
                    if on_key is not None and key is not None and isinstance(error, AuthError):
                        on_key(key, error)
                    if started:
                        raise
                    spent += used
                    message = _hide(str(error), keys)
                    if error.retryable and attempt < policy.retries:
                        wait = policy.wait(attempt, error.retry_after)
                        attempt += 1
                        yield Notice(f"{message}; retrying in {wait:.1f} s "
                                     f"(attempt {attempt + 1} of {policy.retries + 1})")
                        await sleep(wait)
                        continue
                    if error.rotate and key is not None and key_index + 1 < len(keys):
                        key_index += 1
                        yield Notice(f"{message} with {key}; trying {keys[key_index]}")
                        break
                    if isinstance(error, AuthError) and key is not None:
                        raise AuthError(f"{message} ({key}): fix {key.variable}, in the "
                                        "environment or in secrets.toml in PAI_HOME",
                                        error.status) from None
                    error.args = (message,)
                    raise
    except BaseException as error:
        failure = error
        raise
    finally:
        if watch is not None:
            watch.ended(failure)
