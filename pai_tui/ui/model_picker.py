"""The model picker: the command palette, searching provider · model pairs (and any model name
typed, for the current provider)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from pai_tui.llm.providers import OFFLINE, ModelChoice, Providers


def choices(providers: Providers) -> list[tuple[ModelChoice, str]]:
    """Every provider · model worth offering, with a note on what it still needs."""
    offered: list[tuple[ModelChoice, str]] = []
    for name in providers.names():
        if providers.usable(name):
            note = "ready"
        else:
            note = "unavailable: needs a key: set " + " or ".join(providers.key_variables(name))
        offered += [(ModelChoice(name, model), note) for model in providers.models(name)]
    offered.append((ModelChoice(OFFLINE, "none"), "explains how to configure a model"))
    return offered


class ModelCommands(Provider):
    @property
    def _pick(self) -> Callable[[ModelChoice], None]:
        return self.app.choose_model  # type: ignore[attr-defined,no-any-return]

    @property
    def _providers(self) -> Providers:
        return self.app.cockpit.providers  # type: ignore[attr-defined,no-any-return]

    async def discover(self) -> Hits:
        for choice, note in choices(self._providers):
            yield DiscoveryHit(str(choice), partial(self._pick, choice), help=note)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for choice, note in choices(self._providers):
            score = matcher.match(str(choice))
            if score > 0:
                yield Hit(score, matcher.highlight(str(choice)), partial(self._pick, choice),
                          help=note)
        typed = query.strip()
        current = self.app.cockpit.providers.default()  # type: ignore[attr-defined]
        if typed and current.provider != OFFLINE and " " not in typed:
            choice = ModelChoice(current.provider, typed)
            yield Hit(0.01, f"{current.provider} · {typed}", partial(self._pick, choice),
                      help=f"use the model {typed!r} with {current.provider}")
