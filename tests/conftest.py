"""Shared fixtures: every test gets its own PAI_HOME in a temporary folder and no provider keys."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pai_tui.cockpit import Cockpit
from pai_tui.config import Config, load_config
from pai_tui.paths import HomePaths
from tests import postgres
from tests.fakes.llm_server import FakeLLMServer

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> HomePaths:
    root = tmp_path / "pai-home"
    monkeypatch.setenv("PAI_HOME", str(root))
    for name in ("PAI_DATABASE_URL", "ANTHROPIC_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    return HomePaths(root)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, home: HomePaths,
                 monkeypatch: pytest.MonkeyPatch) -> str:
    """The test runs twice: on the SQLite file in its PAI_HOME, and on a fresh database of a
    real PostgreSQL server (tests/postgres.py), which PAI_DATABASE_URL then names."""
    from pai_tui.history.urls import sqlite_url

    if request.param == "sqlite":
        return sqlite_url(home.database)
    url = postgres.cluster().new_database()
    monkeypatch.setenv("PAI_DATABASE_URL", url)
    return url


def pytest_sessionfinish(session: pytest.Session) -> None:
    postgres.stop()


def write_config(home: HomePaths, text: str) -> Path:
    home.root.mkdir(parents=True, exist_ok=True)
    home.config.write_text(text, encoding="utf-8")
    return home.config


@pytest.fixture
def config(home: HomePaths) -> Config:
    home.ensure()
    return load_config(home)


@pytest.fixture
def cockpit(config: Config) -> Iterator[Cockpit]:
    cockpit = Cockpit(config)
    yield cockpit
    cockpit.close()


def run_pai(*args: str, env: dict[str, str] | None = None, input: str | None = None,
            timeout: float = 60, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the `pai` command line in a subprocess with the test's environment (in `cwd`, else
    the repository, importable from either)."""
    environment = {**os.environ, **(env or {})}
    if cwd is not None:
        environment["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(REPO), environment.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "pai_tui", *args], capture_output=True, text=True,
        env=environment, input=input, timeout=timeout, cwd=cwd or REPO,
    )


@pytest.fixture
def llm_server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


TEST_KEYS = {"anthropic": "sk-ant-test-key-0000aaaa", "openai": "sk-openai-test-key-1111bbbb"}
# What the commands under test get in their environment: a key for each provider kind.
KEYS = {"ANTHROPIC_API_KEY": TEST_KEYS["anthropic"], "OPENAI_API_KEY": TEST_KEYS["openai"]}


def point_providers_at(home: HomePaths, server: FakeLLMServer, extra: str = "",
                       chat: str = "") -> None:
    """config.toml sending both built-in providers to the loopback server, quick to give up."""
    write_config(home, f"""
[chat]
retries = 2
max_retry_wait = 0.2
{chat}

[providers.anthropic]
base_url = "{server.anthropic_url}"
timeout = 5

[providers.openai]
base_url = "{server.openai_url}"
timeout = 5
{extra}
""")


def make_greeter(home: HomePaths) -> None:
    """A skill of the user's with one tool it does not mark safe (so running it asks first);
    the tool prints markup, which must show literally."""
    skill = home.skills / "greeter"
    (skill / "tools").mkdir(parents=True)
    (skill / "SKILL.md").write_text("---\nname: greeter\ndescription: Greets people.\n---\n"
                                    "Greet the user with the hello tool.\n")
    (skill / "tools" / "hello.py").write_text(
        "import sys\nif '--help' in sys.argv: print('hello NAME: greet'); sys.exit()\n"
        "print('[bold]hello[/]', *sys.argv[1:])\n")
