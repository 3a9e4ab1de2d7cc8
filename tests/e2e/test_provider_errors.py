"""Provider errors say what happened, with both real SDKs against the loopback server: a web page
where the API should be (a captive portal), an endpoint that cannot be reached, and an error body
of megabytes, cut to a readable length on screen and in the history."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator

import pytest

from pai_tui.cockpit import Cockpit
from pai_tui.config import load_config
from pai_tui.history.records import MessageRecord
from pai_tui.paths import HomePaths
from tests.conftest import TEST_KEYS, point_providers_at, run_pai
from tests.fakes.llm_server import FakeLLMServer, Reply

KEY_VARIABLE = {"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}
PORTAL = "<html><head><title>Hotel WiFi</title></head><body>Please log in</body></html>"
READABLE = 1000  # characters: a few lines on screen


@pytest.fixture(params=["anthropic", "openai"])
def kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(KEY_VARIABLE[request.param], TEST_KEYS[request.param])
    return request.param


@pytest.fixture
async def cockpit(home: HomePaths, llm_server: FakeLLMServer,
                  kind: str) -> AsyncIterator[Cockpit]:
    point_providers_at(home, llm_server, chat=f'provider = "{kind}"')
    cockpit = Cockpit(load_config(home))
    yield cockpit
    await cockpit.aclose()


def stored_error(home: HomePaths) -> str:
    with sqlite3.connect(home.database) as db:
        [(error,)] = db.execute("SELECT error FROM messages WHERE role = 'assistant'").fetchall()
    db.close()
    return error


async def test_a_web_page_where_the_api_should_be_is_named_as_such(
        home: HomePaths, cockpit: Cockpit, llm_server: FakeLLMServer) -> None:
    llm_server.default = Reply(body=PORTAL)  # every attempt: a portal answers 200 text/html
    answer: MessageRecord = await cockpit.turns.send(None, "hi")
    assert answer.status == "error"
    assert "web page" in answer.error and "text/html" in answer.error
    assert f"{llm_server.url}{llm_server.requests[0].path}" in answer.error
    assert "cut" not in answer.error


async def test_an_unreachable_endpoint_is_named(home: HomePaths, kind: str) -> None:
    with FakeLLMServer() as server:
        point_providers_at(home, server, chat=f'provider = "{kind}"')
    cockpit = Cockpit(load_config(home))  # the server is gone: its port refuses connections
    answer = await cockpit.turns.send(None, "hi")
    await cockpit.aclose()
    assert answer.status == "error"
    assert f"cannot connect to {server.url}" in answer.error


def test_the_sdk_base_url_variable_is_named_when_it_cannot_be_reached(home: HomePaths) -> None:
    result = run_pai("ask", "hi", env={"ANTHROPIC_API_KEY": TEST_KEYS["anthropic"],
                                       "ANTHROPIC_BASE_URL": "http://127.0.0.1:1"})
    assert result.returncode == 3
    assert "cannot connect to http://127.0.0.1:1" in result.stderr


@pytest.mark.parametrize("reply", [
    Reply(status=400, error_message="\x1b]0;pwned\x07" + "too long " * 600_000 + "\x1b[2J"),
    Reply(status=400, body="<pre>\x1b[2J" + "E" * 5_000_000 + "</pre>",
          content_type="text/plain"),
], ids=["json", "text"])
async def test_a_5_mb_error_body_is_cut_to_a_readable_length(
        home: HomePaths, cockpit: Cockpit, llm_server: FakeLLMServer, reply: Reply) -> None:
    llm_server.queue(reply)
    answer = await cockpit.turns.send(None, "hi")
    assert answer.status == "error" and "HTTP 400" in answer.error
    assert len(answer.error) < READABLE
    assert len(stored_error(home)) < READABLE


def test_a_5_mb_error_body_on_screen_is_short_and_literal(
        home: HomePaths, llm_server: FakeLLMServer) -> None:
    point_providers_at(home, llm_server)
    llm_server.queue(Reply(status=400,
                           error_message="\x1b]0;pwned\x07" + "too long " * 600_000))
    result = run_pai("ask", "hi", env={"ANTHROPIC_API_KEY": TEST_KEYS["anthropic"]})
    assert result.returncode == 3
    assert len(result.stderr) < 2 * READABLE
    assert "\x1b" not in result.stderr and "␛]0;pwned␇" in result.stderr
