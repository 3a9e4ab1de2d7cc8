"""Finding a local Ollama server: offered to the user (doctor, status bar, palette), never used
without their say. Honours Ollama's own OLLAMA_HOST."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

DEFAULT_HOST = "127.0.0.1:11434"


def ollama_url() -> str:
    """Where Ollama listens: OLLAMA_HOST ("host", "host:port" or a URL), else the default."""
    host = os.environ.get("OLLAMA_HOST", "").strip() or DEFAULT_HOST
    if "://" not in host:
        host = f"http://{host}"
    scheme, _, rest = host.partition("://")
    hostport = rest.split("/")[0]
    if ":" not in hostport.rsplit("]", 1)[-1]:
        hostport += ":11434"
    hostport = hostport.replace("0.0.0.0", "127.0.0.1")  # a listen-everywhere address
    return f"{scheme}://{hostport}"


def detect(timeout: float = 0.5) -> list[str] | None:
    """The models of the Ollama server that answers, or None when none does. Blocking."""
    try:
        with urllib.request.urlopen(f"{ollama_url()}/api/tags", timeout=timeout) as response:
            data = json.loads(response.read() or b"{}")
    except (OSError, ValueError, urllib.error.URLError):
        return None
    models = data.get("models") if isinstance(data, dict) else None
    if not isinstance(models, list):
        return None
    return [str(m.get("name") or m.get("model")) for m in models
            if isinstance(m, dict) and (m.get("name") or m.get("model"))]
