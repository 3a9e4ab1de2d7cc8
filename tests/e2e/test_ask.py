"""`pai ask` as a user runs it: a subprocess talking to the loopback server through the real SDKs.
Streaming, stdin, --json, --session, options, every exit code, Ctrl-C, and SIGKILL mid-answer."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pai_tui.paths import HomePaths
from tests.builders import rows
from tests.conftest import KEYS, REPO, TEST_KEYS, run_pai, write_config
from tests.fakes.llm_server import FakeLLMServer, Reply


def ask(*args: str, input: str | None = None, env: dict[str, str] | None = None,
        ) -> subprocess.CompletedProcess[str]:
    return run_pai("ask", *args, input=input, env={**KEYS, **(env or {})})


def test_streams_the_answer_and_saves_the_turn(home: HomePaths, server: FakeLLMServer) -> None:
    server.queue(Reply(text="Paris is the capital."))
    result = ask("capital of France?")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Paris is the capital.\n"
    assert rows(home, "SELECT role, content, status FROM messages ORDER BY id") == [
        ("user", "capital of France?", "complete"),
        ("assistant", "Paris is the capital.", "complete")]
    assert server.requests[0].path == "/v1/messages"  # anthropic first when both keys exist


def test_piped_stdin_is_sent_with_the_prompt(server: FakeLLMServer) -> None:
    result = ask("summarize", input="line one\nline two\n")
    assert result.returncode == 0
    [message] = server.requests[0].body["messages"]
    assert message["content"] == "summarize\n\nline one\nline two\n"


def test_stdin_alone_is_enough(server: FakeLLMServer) -> None:
    assert ask(input="just this").returncode == 0
    assert server.requests[0].body["messages"][0]["content"] == "just this"


def test_json_prints_one_object_at_the_end(server: FakeLLMServer) -> None:
    server.queue(Reply(text="Forty two.", input_tokens=7))
    result = ask("--json", "meaning?")
    assert result.returncode == 0
    answer = json.loads(result.stdout)
    assert answer["text"] == "Forty two." and answer["status"] == "complete"
    assert answer["usage"] == {"input_tokens": 7, "output_tokens": 2}
    assert answer["provider"] == "anthropic" and answer["model"] == "claude-sonnet-4-6"
    assert answer["cost"] == pytest.approx((7 * 3 + 2 * 15) / 1e6)
    assert isinstance(answer["session"], int)


def test_options_and_continuing_a_session(server: FakeLLMServer) -> None:
    first = json.loads(ask("--json", "--provider", "openai", "--model", "gpt-4o-mini",
                           "--system", "Be brief.", "one").stdout)
    request = server.requests[-1]
    assert request.path == "/v1/chat/completions"
    assert request.body["model"] == "gpt-4o-mini"
    assert request.body["messages"][0] == {"role": "system", "content": "Be brief."}

    result = ask("--session", str(first["session"]), "two")
    assert result.returncode == 0
    request = server.requests[-1]
    assert request.path == "/v1/chat/completions"  # the session remembers its provider...
    assert request.body["model"] == "gpt-4o-mini"  # ...its model and its system prompt
    assert [m["content"] for m in request.body["messages"]] == [
        "Be brief.", "one", "Hello from the fake model.", "two"]


@pytest.mark.parametrize(("args", "words"), [
    ((), "nothing to ask"),
    (("--provider", "nope", "hi"), "no provider named 'nope'"),
    (("--session", "999", "hi"), "no session 999"),
    (("--session", "x", "hi"), "'x' is not a valid integer"),
])
def test_usage_errors_exit_2(server: FakeLLMServer, args: tuple[str, ...], words: str) -> None:
    result = ask(*args, input="")
    assert result.returncode == 2
    assert words in result.stderr


def test_a_bad_config_exits_2(home: HomePaths) -> None:
    write_config(home, "[chat]\nretries = 'many'\n")
    result = ask("hi")
    assert result.returncode == 2 and "key 'chat.retries'" in result.stderr


def test_a_refused_key_exits_3_and_says_what_to_fix(server: FakeLLMServer) -> None:
    server.queue(Reply(status=401))
    result = ask("hi")
    assert result.returncode == 3
    assert "fix ANTHROPIC_API_KEY" in result.stderr and "pai doctor" in result.stderr
    assert TEST_KEYS["anthropic"] not in result.stderr + result.stdout


def test_no_key_at_all_exits_3(home: HomePaths, server: FakeLLMServer) -> None:
    result = run_pai("ask", "--provider", "anthropic", "hi")
    assert result.returncode == 3 and "set ANTHROPIC_API_KEY" in result.stderr


def test_a_cut_stream_exits_4_keeping_what_came(home: HomePaths, server: FakeLLMServer) -> None:
    server.queue(Reply(n_tokens=8, cut_after=3))
    result = ask("hi")
    assert result.returncode == 4
    assert result.stdout == "w0 w1 w2 \n"
    assert "incomplete" in result.stderr
    assert rows(home, "SELECT status, content FROM messages WHERE role = 'assistant'") == [
        ("incomplete", "w0 w1 w2 ")]


def test_retries_are_told_on_stderr(server: FakeLLMServer) -> None:
    server.queue(Reply(status=529, retry_after=0), Reply(text="ok"))
    result = ask("hi")
    assert result.returncode == 0 and result.stdout == "ok\n"
    assert "HTTP 529" in result.stderr and "retrying" in result.stderr


def _start_ask(home: HomePaths, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "pai_tui", "ask", *args],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=REPO,
                            env={**os.environ, **KEYS})


def _wait_for_tokens(server: FakeLLMServer, count: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while len(server.token_sent_at) < count:
        assert time.monotonic() < deadline, "the server never sent enough tokens"
        time.sleep(0.02)


def test_ctrl_c_cancels_exits_4_and_keeps_the_partial_answer(
        home: HomePaths, server: FakeLLMServer) -> None:
    server.queue(Reply(n_tokens=300, delay=0.02))
    process = _start_ask(home, "long story")
    _wait_for_tokens(server, 20)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 4, err
    assert "cancelled" in err
    [(status, content)] = rows(home, "SELECT status, content FROM messages "
                                     "WHERE role = 'assistant'")
    assert status == "cancelled" and content.startswith("w0 w1 ")
    assert out.startswith(content.rstrip())


def test_sigkill_mid_answer_loses_at_most_a_second_and_reads_as_interrupted(
        home: HomePaths, server: FakeLLMServer) -> None:
    server.queue(Reply(n_tokens=1000, delay=0.01))
    process = _start_ask(home, "long story")
    _wait_for_tokens(server, 300)  # three seconds in
    process.kill()
    killed_at = time.monotonic()
    process.communicate(timeout=30)
    sent_a_second_before = sum(1 for t in server.token_sent_at if t <= killed_at - 1.1)
    [(status, content)] = rows(home, "SELECT status, content FROM messages "
                                     "WHERE role = 'assistant'")
    assert status == "streaming"  # nobody finished it...
    assert content.count("w") >= sent_a_second_before > 0  # ...but at most ~1 s is lost
    # The next start marks it interrupted, which the history then shows.
    result = ask("next")
    assert result.returncode == 0, result.stderr
    [(status,)] = rows(home, "SELECT status FROM messages WHERE content LIKE 'w0 w1 %'")
    assert status == "interrupted"


def test_model_output_reaches_a_pipe_unchanged(server: FakeLLMServer) -> None:
    text = "[bold]x[/] \x1b[31mred\x1b[0m"
    server.queue(Reply(tokens=[text]))
    result = ask("hi")
    assert result.stdout == text + "\n"  # a pipe gets the bytes; a terminal gets them shown


def test_an_answer_in_a_terminal_cannot_drive_it(home: HomePaths, server: FakeLLMServer,
                                                 tmp_path: Path) -> None:
    import pty

    server.queue(Reply(tokens=["safe \x1b]0;pwned\x07 \x1b[2J done"]))
    master, slave = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "pai_tui", "ask", "hi"],
                               stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE,
                               cwd=REPO, env={**os.environ, **KEYS})
    os.close(slave)
    process.wait(timeout=60)
    output = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    os.close(master)
    assert process.returncode == 0
    assert b"\x1b" not in output and "␛]0;pwned␇".encode() in output


def test_no_model_is_a_configuration_error_not_an_answer(home: HomePaths) -> None:
    result = run_pai("ask", "hello")  # no key anywhere, no provider configured
    assert result.returncode == 2
    assert result.stdout == ""  # a script must not store the help as if it were the answer
    assert "no model is configured" in result.stderr
    assert "ANTHROPIC_API_KEY" in result.stderr and "OPENAI_API_KEY" in result.stderr
    assert "pai doctor" in result.stderr


def test_an_ignored_secrets_file_is_named_with_why(home: HomePaths) -> None:
    home.root.mkdir(parents=True, exist_ok=True)
    secrets = home.root / "secrets.toml"
    secrets.write_text('ANTHROPIC_API_KEY = "sk-ant-not-a-real-key-1234"\n')
    secrets.chmod(0o644)
    result = run_pai("ask", "hello")
    assert result.returncode == 2 and result.stdout == ""
    assert f"{secrets} is readable by others" in result.stderr
    assert f"chmod 600 {secrets}" in result.stderr
    assert "sk-ant-not-a-real-key-1234" not in result.stderr


def test_a_closed_stdout_cancels_quietly_keeps_what_came_and_exits_4(
        home: HomePaths, server: FakeLLMServer) -> None:
    server.queue(Reply(n_tokens=1000, delay=0.01))  # ten seconds of answer
    process = _start_ask(home, "long story")  # as in: pai ask "long story" | head -c 20
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.read(20)
    process.stdout.close()
    err = process.stderr.read()
    process.wait(timeout=30)
    assert first == "w0 w1 w2 w3 w4 w5 w6"
    assert process.returncode == 4, err
    assert len(err.splitlines()) <= 1 and "Error" not in err, err  # no traceback, no storm
    assert len(server.token_sent_at) < 500  # the request was stopped, not paid to its end
    [(status, content)] = rows(home, "SELECT status, content FROM messages "
                                     "WHERE role = 'assistant'")
    assert status == "cancelled" and content.startswith(first)


def test_failures_read_as_sentences_and_no_skill_means_plain_chat(
        server: FakeLLMServer) -> None:
    server.queue(Reply(status=400))
    result = ask("anything")
    assert result.returncode == 3 and "pai: the answer failed: " in result.stderr
    result = ask("--no-skill", "/summarize is a slash I mean literally")
    assert result.returncode == 0, result.stderr
    body = server.requests[-1].body
    assert body["messages"][-1]["content"] == "/summarize is a slash I mean literally"
    assert "summarize" not in (body.get("system") or "")  # no skill's instructions


def test_a_key_in_a_question_or_an_answer_never_reaches_the_database(
        home: HomePaths, server: FakeLLMServer) -> None:
    """What pai keeps has key shapes redacted (the detector of `pai secrets scan`): the
    question, the answer and the session's title. The model is asked the question as kept, so
    a key pasted by mistake does not reach the provider either."""
    from tests.fake_keys import fake_keys

    github, openai_key = fake_keys()["github-token"], fake_keys()["openai-key"]
    server.queue(Reply(text=f"Your token {openai_key} is now rotated."))
    result = ask(f"{github} leaked, rotate it")
    assert result.returncode == 0, result.stderr
    sent = json.dumps(server.requests[0].body)
    assert github not in sent and "[redacted github-token] leaked, rotate it" in sent
    assert openai_key in result.stdout  # and the user sees the answer as written
    stored = json.dumps(rows(home, "SELECT title FROM sessions") +
                        rows(home, "SELECT content FROM messages"))
    assert github not in stored and openai_key not in stored
    assert "[redacted github-token] leaked, rotate it" in stored
    assert "Your token [redacted openai-key] is now rotated." in stored
    with open(home.database, "rb") as database:  # nor in the file's free pages
        raw = database.read()
    assert github.encode() not in raw and openai_key.encode() not in raw
