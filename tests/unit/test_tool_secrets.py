"""What a skill's tool may see of the user's secrets, for real: a tool that dumps its environment
gets no variable named like a credential (anywhere in the name), URLs without their `user:pass@`,
exactly the keys its skill declares; and no key pai knows of comes back in what it prints (stdout
and stderr, captured or streamed), even when the tool prints one it was given."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from pai_tui.config import load_config
from pai_tui.paths import HomePaths
from pai_tui.skills.model import Skill
from pai_tui.skills.tools import Tool, find_tool, run_skill_tool
from tests.conftest import write_config

# Dumps its environment to the file named by its first argument (what arrived, unredacted),
# and prints it too (what pai keeps and would send on).
ENV_DUMP = """
import json, os, sys
text = json.dumps(dict(os.environ))
with open(sys.argv[1], "w") as handle:
    handle.write(text)
print(text)
"""

SECRETS = {
    "ANTHROPIC_API_KEY_2": "sk-ant-second-key-aaaa1111",  # the README's own second key
    "OPENAI_API_KEY_OLD": "sk-openai-old-key-bbbb2222",
    "PGPASSWORD": "pg-password-cccc3333",
    "MYSQL_PWD": "mysql-password-dddd4444",
    "GH_PAT": "github_pat_eeee5555",
    "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/ffff6666",
    "AWS_SESSION_TOKEN": "aws-session-gggg7777",
    "GOOGLE_OAUTH_CLIENT_SECRET": "google-client-hhhh8888",
    "SMTP_PASS": "smtp-password-iiii9999",
    "SSH_AUTH_SOCK": "/tmp/ssh-agent-jjjj0000/agent.1",
    "SESSION_COOKIE": "cookie-value-kkkk1212",
    "SENTRY_DSN": "https://public-llll3434@o0.ingest.sentry.io/1",
    "MY_APIKEY": "my-apikey-mmmm5656",
    "DB_CREDENTIALS": "db-credentials-nnnn7878",
}
URLS = {  # kept, without the credentials in them
    "DATABASE_URL": ("postgres://u:pw-oooo9090@db.example:5432/app", "postgres://db.example:5432/app"),
    "HTTP_PROXY": ("http://user:pw-pppp1313@proxy.example:3128", "http://proxy.example:3128"),
    "https_proxy": ("user:pw-qqqq2424@proxy.example:8080", "proxy.example:8080"),
    "MIRROR": ("https://tok-rrrr3535@mirror.example/simple?x=1&token=ssss4646",
               "https://mirror.example/simple?x=1&token=REDACTED"),
}
HARMLESS = {"PWD": "/home/someone/work", "OLDPWD": "/home/someone",
            "XDG_SESSION_TYPE": "wayland", "XDG_SESSION_ID": "3",
            "DESKTOP_SESSION": "gnome", "DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/1/bus",
            "TOKENIZERS_PARALLELISM": "false", "KEYBOARD_LAYOUT": "us",
            "GIT_AUTHOR_NAME": "Ada", "XAUTHORITY": "/run/user/1/xauth", "LANG": "C.UTF-8"}


def make_tool(root: Path, source: str, **metadata: str) -> Tool:
    folder = root / "leaky"
    (folder / "tools").mkdir(parents=True)
    (folder / "SKILL.md").write_text("---\nname: leaky\ndescription: test\n---\nBody\n")
    (folder / "tools" / "envdump.py").write_text(textwrap.dedent(source).lstrip("\n"))
    skill = Skill(name="leaky", description="test", path=folder / "SKILL.md", root=root,
                  fields={"metadata": metadata})
    found = find_tool(skill, "envdump")
    assert found is not None
    return found


@pytest.fixture
def secret_environment(home: HomePaths, monkeypatch: pytest.MonkeyPatch) -> None:
    """The user's shell: keys, passwords and URLs with credentials, and harmless variables."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-main-key-tttt5757")
    monkeypatch.setenv("REPLICATE", "r8-replicate-vvvv7979")
    for name, value in {**SECRETS, **HARMLESS}.items():
        monkeypatch.setenv(name, value)
    for name, (value, _) in URLS.items():
        monkeypatch.setenv(name, value)
    write_config(home, "")
    secrets = home.root / "secrets.toml"
    secrets.write_text('OPENAI_API_KEY = "sk-openai-from-file-uuuu6868"\n')
    secrets.chmod(0o600)


@pytest.mark.usefixtures("secret_environment")
async def test_a_tool_that_dumps_its_environment_gets_no_secret(
        home: HomePaths, tmp_path: Path) -> None:
    dump = tmp_path / "env.json"
    run = await run_skill_tool(load_config(home), make_tool(tmp_path, ENV_DUMP), [str(dump)])
    assert run.ok, run.as_text()
    env = json.loads(dump.read_text())
    reached = sorted(set(SECRETS) & set(env))
    assert not reached, f"secrets reached the tool: {reached}"
    assert "ANTHROPIC_API_KEY" not in env and "OPENAI_API_KEY" not in env
    assert {name: env.get(name) for name in URLS} == {n: v[1] for n, v in URLS.items()}
    assert {name: env.get(name) for name in HARMLESS} == HARMLESS
    values = json.dumps(env)
    for secret in [*SECRETS.values(), "pw-oooo9090", "pw-pppp1313", "pw-qqqq2424",
                   "tok-rrrr3535", "ssss4646"]:
        assert secret not in values


@pytest.mark.usefixtures("secret_environment")
async def test_a_declared_key_arrives_and_only_that_one(home: HomePaths, tmp_path: Path) -> None:
    dump = tmp_path / "env.json"
    tool = make_tool(tmp_path, ENV_DUMP,
                     **{"needs-keys": "ANTHROPIC_API_KEY_2 OPENAI_API_KEY REPLICATE"})
    run = await run_skill_tool(load_config(home), tool, [str(dump)])
    env = json.loads(dump.read_text())
    assert env["ANTHROPIC_API_KEY_2"] == SECRETS["ANTHROPIC_API_KEY_2"]
    assert env["OPENAI_API_KEY"] == "sk-openai-from-file-uuuu6868"  # from secrets.toml
    assert not (set(SECRETS) - {"ANTHROPIC_API_KEY_2"}) & set(env)
    assert "ANTHROPIC_API_KEY" not in env
    # What it printed is kept without the keys' values, naming the variable instead.
    assert "sk-ant-second-key-aaaa1111" not in run.stdout
    assert "sk-openai-from-file-uuuu6868" not in run.stdout
    assert "[redacted ANTHROPIC_API_KEY_2]" in json.loads(run.stdout)["ANTHROPIC_API_KEY_2"]
    assert json.loads(run.stdout)["OPENAI_API_KEY"] == "[redacted OPENAI_API_KEY]"
    # A declared key is a key, whatever its name.
    assert env["REPLICATE"] == "r8-replicate-vvvv7979"
    assert json.loads(run.stdout)["REPLICATE"] == "[redacted REPLICATE]"


@pytest.mark.usefixtures("secret_environment")
async def test_keys_a_tool_prints_are_redacted_captured_and_streamed(
        home: HomePaths, tmp_path: Path) -> None:
    # It finds the keys on its own (secrets.toml in PAI_HOME, a file a key was copied into) and
    # prints them to both streams, one of them in pieces that arrive as separate chunks.
    (tmp_path / "copied").write_text("sk-ant-main-key-tttt5757")
    leaky = make_tool(tmp_path, f"""
        import os, sys, time
        home = os.environ["PAI_HOME"]
        print(open(os.path.join(home, "secrets.toml")).read(), flush=True)
        key = open({str(tmp_path / "copied")!r}).read()
        for piece in (key[:6], key[6:15], key[15:]):
            sys.stdout.write(piece)
            sys.stdout.flush()
            time.sleep(0.05)
        print(" end", flush=True)
        print("stderr has", key, file=sys.stderr)
    """)
    chunks: list[bytes] = []
    errors: list[bytes] = []
    run = await run_skill_tool(load_config(home), leaky, on_stdout=chunks.append,
                               on_stderr=errors.append)
    assert run.ok and len(chunks) >= 3
    streamed = b"".join(chunks).decode()
    for text in (run.stdout, run.stderr, streamed, b"".join(errors).decode()):
        assert "sk-ant-main-key-tttt5757" not in text
        assert "sk-openai-from-file-uuuu6868" not in text
        assert "tttt5757" not in text and "uuuu6868" not in text
    assert run.stdout == streamed
    assert "[redacted ANTHROPIC_API_KEY] end" in run.stdout
    assert 'OPENAI_API_KEY = "[redacted OPENAI_API_KEY]"' in run.stdout
    assert run.stderr == "stderr has [redacted ANTHROPIC_API_KEY]\n"


async def test_output_without_secrets_streams_unchanged(home: HomePaths, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-main-key-tttt5757")
    # The start of a key, at the end of the output, is not held back for ever.
    plain = make_tool(tmp_path, "import sys\nsys.stdout.write('almost sk-ant-main')\n")
    chunks: list[bytes] = []
    run = await run_skill_tool(load_config(home), plain, on_stdout=chunks.append)
    assert run.stdout == "almost sk-ant-main" == b"".join(chunks).decode()
    assert os.environ["ANTHROPIC_API_KEY"] == "sk-ant-main-key-tttt5757"
