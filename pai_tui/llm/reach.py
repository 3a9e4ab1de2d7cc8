"""Whether a provider's endpoint answers, for `pai doctor`: one small request that lists models
(never a prompt, so it costs nothing), bounded by a short timeout. It says which endpoint and,
when a key was sent, whether it was accepted."""

from __future__ import annotations

import os

from pai_tui.llm.errors import shown_url
from pai_tui.llm.keys import Key
from pai_tui.llm.providers import Providers

TIMEOUT_S = 3.0
DEFAULT_BASES = {"anthropic": "https://api.anthropic.com", "openai": "https://api.openai.com/v1"}
BASE_VARIABLES = {"anthropic": "ANTHROPIC_BASE_URL", "openai": "OPENAI_BASE_URL"}


def models_url(providers: Providers, name: str) -> str | None:
    """The endpoint's list of models: where a harmless request can go."""
    settings = providers.settings(name)
    if settings is None or settings.kind is None:
        return None
    family = "anthropic" if settings.kind == "anthropic" else "openai"
    base = settings.base_url or os.environ.get(BASE_VARIABLES[family]) or DEFAULT_BASES[family]
    base = base.rstrip("/")
    return f"{base}/v1/models" if family == "anthropic" else f"{base}/models"


def probe(providers: Providers, name: str) -> tuple[bool, str]:
    """(answers, what happened) for provider `name`, with its first key."""
    keys = providers.keys(name)
    status, said = _ask_models(providers, name, keys[0] if keys else None)
    return status is not None and status not in (401, 403), said


def check_key(providers: Providers, name: str, key: Key) -> tuple[bool, str]:
    """(accepted, what happened): whether provider `name` lists its models for `key` (a new
    key, before `pai secrets rotate` stores it). Only a 200 is accepted."""
    status, said = _ask_models(providers, name, key)
    return status == 200, said


def _ask_models(providers: Providers, name: str, key: Key | None) -> tuple[int | None, str]:
    """(HTTP status, or None when nothing answered; what happened, the key masked)."""
    import httpx2

    url = models_url(providers, name)
    if url is None:
        return 200, "nothing to reach (offline)"
    headers = {}
    if key is not None:
        kind = providers.settings(name).kind  # type: ignore[union-attr]
        headers = {"x-api-key": key.value, "anthropic-version": "2023-06-01"} \
            if kind == "anthropic" else {"Authorization": f"Bearer {key.value}"}
    where = shown_url(httpx2.URL(url), path=False)
    try:
        response = httpx2.get(url, headers=headers, timeout=TIMEOUT_S, follow_redirects=False)
    except httpx2.TimeoutException:
        return None, f"no answer from {where} within {TIMEOUT_S:g} s"
    except httpx2.HTTPError:
        return None, f"cannot connect to {where}"
    if response.status_code in (401, 403):
        return response.status_code, (f"{where} answers, but refused the key "
                                      f"({key if key else 'none'})")
    said = "key accepted" if key and response.status_code == 200 else \
        f"HTTP {response.status_code}"
    return response.status_code, f"{where} answers ({said})"
