"""The cockpit in a real terminal (tmux): the keys as terminals really send them (ESC+digit for
alt+digit, LF for ctrl+j) reach the right actions, and nothing typed is lost or reordered."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None and not os.environ.get("PAI_REQUIRE_TMUX"),
    reason="tmux is not installed (make test installs it; CI requires it)",
)


class Terminal:
    def __init__(self, home: Path, size: tuple[int, int] = (100, 30),
                 env: dict[str, str] | None = None, cwd: Path = REPO):
        self.socket = f"pai-test-{uuid.uuid4().hex[:8]}"
        self.home = home
        self.size = size
        self.env = env or {}
        self.cwd = cwd  # the working folder of pai, and of the agents it runs

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True,
                              text=True, check=True, timeout=10).stdout

    def command(self) -> str:
        """pai as the pane's own process (exec), so that its pid is the pane's."""
        variables = " ".join(f"{k}={shlex.quote(v)}" for k, v in
                             {"PAI_HOME": str(self.home), **self.env}.items())
        folder = shlex.quote(str(self.cwd))
        return f"cd {folder} && exec env {variables} {sys.executable} -m pai_tui"

    def start(self) -> None:
        self.tmux("new-session", "-d", "-s", "pai", "-x", str(self.size[0]), "-y",
                  str(self.size[1]), self.command())
        self.tmux("set-option", "-t", "pai", "remain-on-exit", "on")

    def restart(self) -> None:
        self.tmux("respawn-pane", "-k", "-t", "pai", self.command())

    def pid(self) -> int:
        return int(self.tmux("list-panes", "-t", "pai", "-F", "#{pane_pid}").strip())

    def title(self) -> str:
        """The title the program in the pane gave its terminal (OSC 2)."""
        return self.tmux("display-message", "-p", "-t", "pai", "#{pane_title}").strip()

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "pai")

    def keys(self, *keys: str) -> None:
        """Each key on its own, as a person types them: further apart than the 100 ms within
        which Textual reads an ESC and what follows it as one key."""
        for key in keys:
            self.tmux("send-keys", "-t", "pai", key)
            time.sleep(0.15)

    def wait_for(self, condition: Callable[[str], bool], what: str, timeout: float = 15) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if condition(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; the screen:\n{screen}")
            time.sleep(0.1)

    def exited(self) -> bool:
        return self.tmux("list-panes", "-t", "pai", "-F", "#{pane_dead}").strip() == "1"

    def stop(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


@pytest.fixture
def terminal(home) -> Iterator[Terminal]:  # type: ignore[no-untyped-def]
    term = Terminal(home.root)
    term.start()
    try:
        term.wait_for(lambda s: "history ready" in s, "the cockpit to start")
        yield term
    finally:
        term.stop()


def test_typing_newline_and_send_in_a_real_terminal(terminal: Terminal) -> None:
    terminal.tmux("send-keys", "-t", "pai", "hello", "C-j", "second line", "Enter")  # one burst
    terminal.wait_for(lambda s: "saved in the history" in s, "the end of the offline answer")
    with sqlite3.connect(terminal.home / "pai.db") as db:
        sent = db.execute("SELECT content FROM messages WHERE role = 'user'").fetchall()
    db.close()
    assert sent == [("hello\nsecond line",)]


def test_alt_digits_f_keys_and_question_mark(terminal: Terminal) -> None:
    terminal.keys("M-3", "?")  # History focused: `?` opens help rather than being typed
    terminal.wait_for(lambda s: "Help: keys and actions" in s, "the help screen")
    terminal.keys("Escape")
    terminal.wait_for(lambda s: "Help: keys and actions" not in s, "help to close")
    terminal.keys("F2", "x", "M-z")  # back in the chat input: type, then maximize from there
    screen = terminal.wait_for(lambda s: "Agents" not in s, "the chat pane maximized")
    assert "│  x" in screen and "xz" not in screen
    terminal.keys("M-z")
    terminal.wait_for(lambda s: "Agents" in s and "Upgrades" in s, "the panes restored")


def test_quit_with_ctrl_q(terminal: Terminal) -> None:
    terminal.keys("C-q")
    deadline = time.monotonic() + 10
    while not terminal.exited():
        assert time.monotonic() < deadline, terminal.screen()
        time.sleep(0.1)


def test_killed_mid_answer_the_restarted_cockpit_shows_it_interrupted(
        home, llm_server) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import TEST_KEYS, point_providers_at
    from tests.fakes.llm_server import Reply

    point_providers_at(home, llm_server)
    llm_server.queue(Reply(n_tokens=3000, delay=0.01))
    term = Terminal(home.root, env={"ANTHROPIC_API_KEY": TEST_KEYS["anthropic"]})
    term.start()
    try:
        term.wait_for(lambda s: "history ready" in s, "the cockpit to start")
        term.keys("t", "e", "l", "l", "Enter")
        deadline = time.monotonic() + 30
        while len(llm_server.token_sent_at) < 250:  # 2.5 s into the answer
            assert time.monotonic() < deadline, term.screen()
            time.sleep(0.05)
        os.kill(term.pid(), signal.SIGKILL)
        deadline = time.monotonic() + 10
        while not term.exited():
            assert time.monotonic() < deadline
            time.sleep(0.05)

        term.restart()
        term.wait_for(lambda s: "history ready" in s and "tell" in s,
                      "the cockpit to start again, its History listed")
        term.keys("M-3", "Enter")  # open the newest session from History
        screen = term.wait_for(lambda s: "interrupted" in s, "the answer marked interrupted")
        assert "w0 w1 w2" in screen or "w1" in screen
    finally:
        term.stop()


def test_an_agent_waiting_for_an_answer_is_said_in_the_terminal_title(
        home, llm_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A user in another tmux window sees that an agent waits: the title says who asks for what,
    and goes back when the question is answered."""
    from tests.conftest import TEST_KEYS, point_providers_at
    from tests.fakes.llm_server import Reply

    point_providers_at(home, llm_server)
    llm_server.queue(Reply(tool_calls=[("write", {"path": "spec.md", "content": "# Spec\n"})]),
                     Reply(text="Not written."))
    term = Terminal(home.root, size=(140, 40), cwd=tmp_path,
                    env={"ANTHROPIC_API_KEY": TEST_KEYS["anthropic"]})
    term.start()
    try:
        term.wait_for(lambda s: "history ready" in s, "the cockpit to start")
        before = term.title()
        term.tmux("send-keys", "-t", "pai", "-l", "@designer write the spec")
        term.keys("Enter")
        term.wait_for(lambda s: "asks to run" in s, "the permission question")
        deadline = time.monotonic() + 10
        while "waiting" not in term.title() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert term.title() == "pai · 1 waiting · designer asks to run agents/write"
        term.keys("n")
        term.wait_for(lambda s: "asks to run" not in s, "the question answered")
        deadline = time.monotonic() + 10
        while "waiting" in term.title() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert term.title() in (before, "pai")
        assert not (tmp_path / "spec.md").exists()
    finally:
        term.stop()


def test_quitting_while_an_engineer_works_leaves_no_half_made_worktree(
        home, llm_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Quit stops the run; its worktree, where nothing was done, is removed before pai exits,
    not left half cleaned up when the process ends."""
    from tests.conftest import TEST_KEYS, point_providers_at
    from tests.fakes.llm_server import Reply

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True,
                              text=True).stdout

    git("init", "-q", "-b", "main")
    (tmp_path / "app.py").write_text("print('hello')\n")
    git("add", "-A")
    git("-c", "user.name=Me", "-c", "user.email=me@example.com", "commit", "-q", "-m", "first")
    point_providers_at(home, llm_server)
    llm_server.queue(Reply(hang_after_headers=True))
    term = Terminal(home.root, size=(140, 40), cwd=tmp_path,
                    env={"ANTHROPIC_API_KEY": TEST_KEYS["anthropic"]})
    term.start()
    try:
        term.wait_for(lambda s: "history ready" in s, "the cockpit to start")
        term.tmux("send-keys", "-t", "pai", "-l", "@engineer refactor the app")
        term.keys("Enter")
        deadline = time.monotonic() + 15
        while not llm_server.requests:
            assert time.monotonic() < deadline, term.screen()
            time.sleep(0.05)
        term.keys("C-q")
        term.wait_for(lambda s: "Quit anyway?" in s, "the question before quitting")
        term.keys("y")
        deadline = time.monotonic() + 15
        while not term.exited():
            assert time.monotonic() < deadline, term.screen()
            time.sleep(0.05)
    finally:
        term.stop()
    assert len(git("worktree", "list").splitlines()) == 1, git("worktree", "list")
    assert git("branch", "--list", "pai/*") == ""


def test_the_status_bar_says_the_scheduler_holds_the_lease(home) -> None:  # type: ignore[no-untyped-def]
    """[upgrade] schedule = true: after the first frame the scheduler takes the lease and the
    status bar says so at once (it is told from the scheduler's task, not from a key press)."""
    from tests.conftest import write_config
    from tests.ui.upgrade_steps import only_loopback_sources

    write_config(home, "[upgrade]\nschedule = true\n")
    only_loopback_sources(home)
    term = Terminal(home.root, size=(140, 30))
    term.start()
    try:
        term.wait_for(lambda s: "on · next run" in s,
                      "the scheduler on, in the status bar")
    finally:
        term.stop()
