"""The provider used when no model is configured: it says so, and how to configure one."""

from __future__ import annotations

from collections.abc import AsyncIterator

from pai_tui.llm.base import ChatRequest, Delta, Stop, TextPart, Usage

OFFLINE_TEXT = """\
No model is configured, so this is pai's offline provider answering.

To chat with a model, do one of these and restart pai:
- export ANTHROPIC_API_KEY=... (Claude) or OPENAI_API_KEY=... (GPT);
- or describe a provider in config.toml (`pai config path` says where), for example a local
  Ollama:

      [providers.ollama]
      kind = "openai-compatible"
      base_url = "http://127.0.0.1:11434/v1"
      model = "llama3.2"

      [chat]
      provider = "ollama"

`pai doctor` checks what is missing. Your message is saved in the history."""


class OfflineProvider:
    name = "offline"
    kind = "offline"

    async def stream(self, request: ChatRequest, key: str | None) -> AsyncIterator[Delta]:
        yield TextPart(OFFLINE_TEXT)
        yield Usage(0, 0)
        yield Stop("end")
