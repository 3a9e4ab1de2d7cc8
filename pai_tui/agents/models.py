"""Which model an agent runs on: the file's `model` (a Claude Code alias, a model id or
`provider/model`) read through `[agents.models]` and per-provider defaults, so that an agent
written for Claude runs on GPT or a local model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pai_tui.agents.names import DEFAULT_MODELS, MODEL_ALIASES
from pai_tui.llm.providers import ModelChoice

if TYPE_CHECKING:
    from pai_tui.llm.providers import Providers

# A model id names its maker: sent to that maker's provider when it has a key.
_MAKERS = (("claude", "anthropic"), ("gpt-", "openai"), ("o1", "openai"), ("o3", "openai"),
           ("o4", "openai"))


def choose_model(written: str, providers: Providers, aliases: dict[str, str],
                 ) -> tuple[ModelChoice, str | None]:
    """The model for an agent whose file says `written`, and a note when it cannot be what the
    file asks (then the chat's model answers)."""
    default = providers.default()
    written = written.strip()
    if not written or written == "inherit":
        return default, None
    target = written
    if written in MODEL_ALIASES:
        settings = providers.settings(default.provider)
        kind = settings.kind if settings is not None and settings.kind else ""
        target = aliases.get(written) or DEFAULT_MODELS.get(kind, {}).get(written, "")
        if not target:
            return default, (f"model '{written}' has no counterpart for provider "
                             f"{default.provider}: the chat's model answers (set [agents.models] "
                             f"{written} = \"provider/model\")")
    if "/" in target:
        provider, model = target.split("/", 1)
        if providers.settings(provider) is None:
            return default, (f"model '{target}' names no provider pai knows: the chat's model "
                             f"answers")
        return ModelChoice(provider, model), None
    return ModelChoice(_maker(target, providers) or default.provider, target), None


def _maker(model: str, providers: Providers) -> str | None:
    """The built-in provider whose models `model` looks like, if it has a key."""
    for prefix, provider in _MAKERS:
        if model.lower().startswith(prefix) and providers.keys(provider):
            return provider
    return None

