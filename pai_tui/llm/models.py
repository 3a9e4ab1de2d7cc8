"""What pai knows of a model: its context window, longest answer and prices. From the bundled
table (assets/models.toml), overridden per provider in config.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from pai_tui.config import ModelSettings, ProviderSettings
from pai_tui.paths import bundled

if TYPE_CHECKING:
    from pai_tui.llm.base import Usage

UNKNOWN_CONTEXT_WINDOW = 32768  # cautious: many local models have less than cloud ones
UNKNOWN_MAX_OUTPUT = 4096


@dataclass(frozen=True)
class ModelInfo:
    name: str
    context_window: int
    max_output_tokens: int
    input_price: float | None  # USD per million tokens; None: unknown
    output_price: float | None

    def cost(self, usage: Usage) -> float | None:
        if self.input_price is None or self.output_price is None:
            return None
        return (usage.input_tokens * self.input_price
                + usage.output_tokens * self.output_price) / 1_000_000


@cache
def _table() -> dict[str, Any]:
    with open(bundled("assets") / "models.toml", "rb") as handle:
        return tomllib.load(handle)


def default_model(kind: str) -> str | None:
    return _table().get("defaults", {}).get(kind)


def known_models(prefix: str) -> list[str]:
    return [name for name in _table().get("models", {}) if name.startswith(prefix)]


def _known(model: str) -> dict[str, Any]:
    models: dict[str, Any] = _table().get("models", {})
    if model in models:
        return models[model]
    prefixes = [name for name in models if model.startswith(name)]
    return models[max(prefixes, key=len)] if prefixes else {}


def model_info(model: str, provider: ProviderSettings | None = None) -> ModelInfo:
    known = _known(model)
    override = (provider.models.get(model) if provider else None) or ModelSettings()

    def pick(field: str, fallback: Any) -> Any:
        value = getattr(override, field)
        return value if value is not None else known.get(field, fallback)

    return ModelInfo(model, pick("context_window", UNKNOWN_CONTEXT_WINDOW),
                     pick("max_output_tokens", UNKNOWN_MAX_OUTPUT), pick("input_price", None),
                     pick("output_price", None))
