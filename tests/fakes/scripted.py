"""An in-process provider whose answers are scripted as deltas: fast tests of the turn engine
(no HTTP, no SDK). The loopback server (llm_server.py) stays for everything about the SDKs.

    provider = ScriptedProvider(Script([TextPart("Hi"), Usage(5, 2), Stop()]))
    cockpit.providers.use(provider, "scripted-model")
    await cockpit.turns.send(None, "hello", choice=ModelChoice("scripted", "scripted-model"))
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from pai_tui.llm.base import ChatRequest, Delta, ProviderError, Stop, TextPart, Usage


@dataclass
class Script:
    """One attempt: these deltas (a `float` among them waits that many seconds), then `error`
    raised if given."""

    deltas: Sequence[Delta | float] = (TextPart("Scripted answer."), Usage(3, 2), Stop())
    error: ProviderError | None = None


@dataclass
class ScriptedProvider:
    scripts: list[Script] = field(default_factory=list)
    name: str = "scripted"
    kind: str = "scripted"
    requests: list[ChatRequest] = field(default_factory=list)

    def __init__(self, *scripts: Script, name: str = "scripted") -> None:
        self.scripts = list(scripts)
        self.name = self.kind = name
        self.requests = []

    async def stream(self, request: ChatRequest, key: str | None) -> AsyncIterator[Delta]:
        self.requests.append(request)
        script = self.scripts.pop(0) if self.scripts else Script()
        for delta in script.deltas:
            if isinstance(delta, float):
                await asyncio.sleep(delta)
            else:
                yield delta
        if script.error is not None:
            raise script.error
