"""The providers pai can talk to: the built-in `anthropic` and `openai`, those in config.toml, and
the offline one. Which is the default, which keys each has, and building one on first use (the
only place the SDK modules get imported)."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pai_tui.config import BUILTIN_PROVIDERS, Config, ProviderSettings
from pai_tui.llm.keys import KEY_VARIABLES_BY_KIND, Key, Secrets, find_keys
from pai_tui.llm.models import ModelInfo, default_model, known_models, model_info

if TYPE_CHECKING:
    from pai_tui.llm.base import Provider

OFFLINE = "offline"
OFFLINE_MODEL = "none"  # what the offline provider calls its one model
KNOWN_FAMILIES = {"anthropic": "claude", "openai": "gpt"}  # name prefixes in assets/models.toml
MODULES = {"anthropic": ("pai_tui.llm.anthropic_provider", "AnthropicProvider"),
           "openai": ("pai_tui.llm.openai_provider", "OpenAIProvider"),
           "openai-compatible": ("pai_tui.llm.openai_provider", "OpenAIProvider")}


@dataclass(frozen=True)
class ModelChoice:
    """A provider and a model: what answers a session."""

    provider: str
    model: str

    def __str__(self) -> str:
        return self.provider if self.provider == OFFLINE else f"{self.provider} · {self.model}"


class Providers:
    def __init__(self, config: Config):
        self.config = config
        self.secrets = Secrets(config.home.root / "secrets.toml")
        self._built: dict[str, Provider] = {}
        self._given: dict[str, ProviderSettings] = {}  # providers handed over by `use`

    def names(self) -> list[str]:
        return list(dict.fromkeys([*BUILTIN_PROVIDERS, *self.config.providers, *self._given]))

    def use(self, provider: Provider, model: str) -> None:
        """Answer with `provider` (an object, not a configured endpoint) under its own name:
        an in-process provider for tests, later plug-ins. Its model is `model`."""
        self._built[provider.name] = provider
        self._given[provider.name] = ProviderSettings(model=model)

    def settings(self, name: str) -> ProviderSettings | None:
        if name in self._given:
            return self._given[name]
        if name in self.config.providers:
            return self.config.providers[name]
        if name in BUILTIN_PROVIDERS:
            return ProviderSettings(kind=BUILTIN_PROVIDERS[name])
        return None

    def key_variables(self, name: str) -> list[str]:
        settings = self.settings(name)
        if settings is None or settings.kind is None:
            return []
        return list(settings.key_env or KEY_VARIABLES_BY_KIND[settings.kind])

    def keys(self, name: str) -> list[Key]:
        return find_keys(self.key_variables(name), self.secrets)

    def needs_key(self, name: str) -> bool:
        settings = self.settings(name)
        return settings is not None and settings.kind in ("anthropic", "openai")

    def usable(self, name: str) -> bool:
        return self.settings(name) is not None and (bool(self.keys(name))
                                                    or not self.needs_key(name))

    def model_for(self, name: str, model: str | None = None) -> str | None:
        settings = self.settings(name)
        if name == OFFLINE or settings is None:
            return OFFLINE_MODEL
        return model or settings.model or default_model(settings.kind or "")

    def default(self) -> ModelChoice:
        """[chat] provider if set; else the first built-in with a key; else offline."""
        name = self.config.chat.provider
        if name is None:
            name = next((n for n in BUILTIN_PROVIDERS if self.keys(n)), OFFLINE)
        model = self.model_for(name, self.config.chat.model)
        return ModelChoice(name, model or "")

    def choice_for(self, provider: str | None, model: str | None) -> ModelChoice:
        """What answers a session that names `provider` and `model`: those while the provider
        exists (and is not the offline stand-in), else the current default."""
        if provider and provider != OFFLINE and self.settings(provider) is not None:
            return ModelChoice(provider, self.model_for(provider, model) or "")
        return self.default()

    def model_info(self, choice: ModelChoice) -> ModelInfo:
        info = model_info(choice.model, self.settings(choice.provider))
        if choice.provider == OFFLINE:  # the stand-in costs nothing (and says so)
            return dataclasses.replace(info, input_price=0.0, output_price=0.0)
        return info

    def models(self, name: str) -> list[str]:
        """Models worth offering for a provider: its default, its configured ones, and for the
        vendors' own endpoints the known models of that vendor."""
        settings = self.settings(name)
        if settings is None:
            return []
        names = [self.model_for(name), *settings.models]
        if settings.kind in KNOWN_FAMILIES:
            names += known_models(KNOWN_FAMILIES[settings.kind])
        return list(dict.fromkeys(n for n in names if n))

    async def aclose(self) -> None:
        """Close every SDK client the providers opened (before their event loop ends), and
        forget the providers: the next use builds them from the settings as they are then."""
        given = {name: p for name, p in self._built.items() if name in self._given}
        built = {name: p for name, p in self._built.items() if name not in self._given}
        self._built = given
        for provider in built.values():
            close = getattr(provider, "aclose", None)
            if close is not None:
                await close()

    async def warm_up(self, choice: ModelChoice | None = None) -> None:
        """Import the provider's SDK and make its client, in a thread (about a second), so that
        the first message does not wait for them and the UI never does."""
        name = (choice or self.default()).provider
        provider = await asyncio.to_thread(self.build, name)
        prepare = getattr(provider, "prepare", None)
        if prepare is not None:
            keys = self.keys(name)
            await asyncio.to_thread(prepare, keys[0].value if keys else None)

    def built(self, name: str) -> Provider | None:
        """The provider if it is built already (no import to wait for), else None."""
        return self._built.get(name)

    def build(self, name: str) -> Provider:
        """The provider object (cached). Imports its SDK: call it off the UI thread the first
        time (`warm_up`), as the import takes about a second."""
        if name not in self._built:
            settings = self.settings(name)
            if name == OFFLINE or settings is None or settings.kind is None:
                from pai_tui.llm.offline import OfflineProvider  # not before the first frame

                self._built[name] = OfflineProvider()
            else:
                module, cls = MODULES[settings.kind]
                provider_class = getattr(importlib.import_module(module), cls)
                self._built[name] = provider_class(name, settings)
        return self._built[name]
