"""What the end-to-end tests share: the loopback LLM server as every provider's endpoint."""

from __future__ import annotations

import pytest

from pai_tui.paths import HomePaths
from tests.conftest import point_providers_at
from tests.fakes.llm_server import FakeLLMServer


@pytest.fixture
def server(home: HomePaths, llm_server: FakeLLMServer) -> FakeLLMServer:
    """The loopback server, named in config.toml as the endpoint of every provider."""
    point_providers_at(home, llm_server)
    return llm_server
