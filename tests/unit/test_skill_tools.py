"""Running a skill's tools for real: finding them, files that cannot run, the skill's timeouts,
output streamed as printed, an environment without keys unless declared, and the permission
policy (allow / ask / deny, headless, "always"). The runner itself (argument vectors, timeouts
and cancellation that kill children, bounded output, stdin, exit codes) is in test_process.py."""

from __future__ import annotations

import json
import os
import stat
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path

import pytest

from pai_tui.config import ConfigError, load_config
from pai_tui.paths import HomePaths
from pai_tui.skills.model import Skill
from pai_tui.skills.permissions import Permissions, conflicts, resolve
from pai_tui.skills.tools import (
    Tool,
    find_tool,
    help_text,
    parse_tool_timeouts,
    run_skill_tool,
    run_tool,
    tool_help,
    tools_of,
)
from tests.builders import HANG_WITH_CHILD, wait_gone
from tests.conftest import write_config

PRINT_ENV = "import json, os\nprint(json.dumps(dict(os.environ)))\n"


def make_skill(root: Path, tools: dict[str, str], name: str = "demo",
               metadata: dict[str, str] | None = None, folder: str = "tools") -> Skill:
    """A skill folder on disk with the given tool files (`name: source`)."""
    skill_dir = root / name
    (skill_dir / folder).mkdir(parents=True, exist_ok=True)
    (skill_dir / "SKILL.md").write_text(f"---\nname: {name}\ndescription: test\n---\nBody\n")
    for filename, source in tools.items():
        (skill_dir / folder / filename).write_text(textwrap.dedent(source).lstrip("\n"))
    return Skill(name=name, description="test", path=skill_dir / "SKILL.md", root=root,
                 fields={"metadata": metadata or {}})


def tool(root: Path, source: str, name: str = "t.py", **metadata: str) -> Tool:
    found = find_tool(make_skill(root, {name: source}, metadata=metadata), name)
    assert found is not None
    return found


# --- finding tools -------------------------------------------------------------------------

def test_tools_are_the_files_in_the_tool_folders_and_say_how_they_run(tmp_path: Path) -> None:
    skill = make_skill(tmp_path, {"count.py": "print(1)\n", "deploy.sh": "#!/bin/sh\necho hi\n",
                                  "notes.ts": "console.log(1)\n", "README.md": "# docs\n",
                                  "data.json": "{}", "_common.py": "X = 1\n"},
                       metadata={"safe-tools": "count"})
    (skill.folder / "tools" / "deploy.sh").chmod(0o755)
    (skill.folder / "scripts").mkdir()
    (skill.folder / "scripts" / "extra.py").write_text("print(2)\n")
    found = {t.name: t for t in tools_of(skill)}
    assert sorted(found) == ["count", "deploy", "extra", "notes"]
    count = found["count"]
    assert count.command == [sys.executable, str(count.path)]  # .py: pai's own Python
    assert found["deploy"].command == [str(found["deploy"].path)]
    assert (count.safe, found["deploy"].safe) == (True, False)
    assert count.qualified == "demo/count" and count.folder == skill.folder
    notes = found["notes"]
    assert not notes.runnable
    assert "neither executable nor a .py file" in (notes.problem or "")
    assert f"chmod +x {notes.path}" in (notes.problem or "")


def test_find_tool_takes_the_name_with_or_without_suffix(tmp_path: Path) -> None:
    skill = make_skill(tmp_path, {"scaffold_skill.py": "print(1)\n"})
    for spelling in ("scaffold_skill", "scaffold_skill.py", "Scaffold-Skill"):
        assert (found := find_tool(skill, spelling)) is not None
        assert found.name == "scaffold_skill"
    assert find_tool(skill, "nope") is None


async def test_a_file_that_cannot_run_is_reported_not_run(tmp_path: Path) -> None:
    skill = make_skill(tmp_path, {"notes.ts": "console.log(1)\n", "noshebang": "echo hi\n"})
    (skill.folder / "tools" / "noshebang").chmod(0o755)
    notes, script = find_tool(skill, "notes"), find_tool(skill, "noshebang")
    assert notes is not None and script is not None
    run = await run_tool(notes)
    assert run.exit_code is None and not run.ok
    assert run.status().startswith("not run:") and "neither executable nor a .py" in run.status()
    assert run.exit_status == 126  # as a shell says "cannot execute"
    run = await run_tool(script)
    assert run.exit_code is None
    assert "Exec format error" in (run.error or "") and "#! line" in (run.error or "")
    assert "Exec format error" in help_text(script)


# --- running -------------------------------------------------------------------------------

async def test_working_folder_is_used_and_a_missing_one_is_named(tmp_path: Path) -> None:
    where = tool(tmp_path, "import os\nprint(os.getcwd())\n")
    (tmp_path / "work").mkdir()
    run = await run_tool(where, cwd=tmp_path / "work")
    assert run.stdout.strip() == str(tmp_path / "work")
    run = await run_tool(where, cwd=tmp_path / "missing")
    assert run.exit_code is None
    assert f"working folder {tmp_path / 'missing'}" in (run.error or "")


async def test_stdout_streams_to_a_callback_as_it_is_printed(tmp_path: Path) -> None:
    # The tool waits for a file that the test creates only when "ready" has arrived: if output
    # were delivered at exit (or held in Python's buffer), it would wait until its timeout.
    flag = tmp_path / "go"
    waiter = tool(tmp_path, f"""
        import os, time
        print("ready")
        for _ in range(1000):
            if os.path.exists({str(flag)!r}):
                print("done")
                break
            time.sleep(0.01)
    """)
    chunks: list[bytes] = []

    def got(chunk: bytes) -> None:
        chunks.append(chunk)
        if b"ready" in chunk:
            flag.touch()

    base = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    run = await run_tool(waiter, on_stdout=got, timeout=30, env_base=base)
    assert run.stdout == "ready\ndone\n"
    assert b"".join(chunks) == b"ready\ndone\n"


async def test_the_environment_has_no_keys_unless_the_skill_declares_them(
        home: HomePaths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(home, '[providers.local]\nkind = "openai-compatible"\n'
                       'base_url = "http://127.0.0.1:9/v1"\nkey_env = "LOCAL_LLM_PASS"\n')
    secrets = home.root / "secrets.toml"
    secrets.write_text('STABILITY_KEY_FROM_FILE = "sk-file-secret"\nMY_SERVICE = "s3cret"\n')
    secrets.chmod(0o600)
    leaked = {"ANTHROPIC_API_KEY": "sk-ant-leak", "OPENAI_API_KEY": "sk-openai-leak",
              "LOCAL_LLM_PASS": "local-leak", "GITHUB_TOKEN": "ghp-leak",
              "AWS_SECRET_ACCESS_KEY": "aws-leak", "PAI_DATABASE_URL": "postgresql://u:pw@h/db",
              "MY_SERVICE": "from-env-leak", "HF_TOKEN": "hf-leak"}
    kept = {"TOKENIZERS_PARALLELISM": "false", "KEYBOARD_LAYOUT": "us"}
    for name, value in {**leaked, **kept}.items():
        monkeypatch.setenv(name, value)
    config = load_config(home)

    plain = tool(tmp_path / "a", PRINT_ENV)
    env = json.loads((await run_skill_tool(config, plain)).stdout)
    assert not set(leaked) & set(env), "a key reached a tool that did not declare it"
    assert {k: env[k] for k in kept} == kept and env["PATH"] == os.environ["PATH"]
    assert env["PAI_SKILL_DIR"] == str(plain.folder)
    assert env["PAI_HOME"] == str(home.root) and env["PAI_PYTHON"] == sys.executable

    # What arrived is read from a file: what it prints has the keys' values redacted.
    dump = tmp_path / "env.json"
    declared = tool(tmp_path / "b", PRINT_ENV + f"open({str(dump)!r}, 'w').write("
                                                "json.dumps(dict(os.environ)))\n",
                    **{"needs-keys": "OPENAI_API_KEY STABILITY_KEY_FROM_FILE"})
    printed = json.loads((await run_skill_tool(config, declared)).stdout)
    assert printed["OPENAI_API_KEY"] == "[redacted OPENAI_API_KEY]"
    env = json.loads(dump.read_text())
    assert env["OPENAI_API_KEY"] == "sk-openai-leak"
    assert env["STABILITY_KEY_FROM_FILE"] == "sk-file-secret"  # from the secrets file
    assert not (set(leaked) - {"OPENAI_API_KEY"}) & set(env)


def test_tool_timeouts_from_metadata() -> None:
    assert parse_tool_timeouts("120") == (120.0, {}, [])
    assert parse_tool_timeouts("30 image=180, Make_Art=5") == (
        30.0, {"image": 180.0, "make-art": 5.0}, [])
    default, per_tool, problems = parse_tool_timeouts("soon image=0 =4 x=inf")
    assert (default, per_tool) == (None, {})
    assert [p.split(":")[1].strip().split(" ")[0] for p in problems] == [
        "'soon'", "'image=0'", "'=4'", "'x=inf'"]


async def test_the_skills_timeout_wins_over_the_configured_one(home: HomePaths,
                                                              tmp_path: Path) -> None:
    write_config(home, "[skills]\ntool_timeout = 60\n")
    config = load_config(home)
    skill = make_skill(tmp_path, {"hang.py": HANG_WITH_CHILD, "quick.py": "print('ok')\n"},
                       metadata={"tool-timeout": "30 hang=1"})
    hang, quick = find_tool(skill, "hang"), find_tool(skill, "quick")
    assert hang is not None and quick is not None
    assert (hang.timeout, quick.timeout) == (1.0, 30.0)
    started = time.monotonic()
    run = await run_skill_tool(config, hang)
    assert run.timed_out and run.timeout == 1.0 and time.monotonic() - started < 10
    assert wait_gone(int(run.stdout.split()[0]))


def test_help_text_describes_the_tool_and_is_cached_per_version(tmp_path: Path) -> None:
    counter = tmp_path / "runs"
    source = f"""
        import argparse
        with open({str(counter)!r}, "a") as handle:
            handle.write("x")
        parser = argparse.ArgumentParser(prog="greet", description="Say hello to NAME.")
        parser.add_argument("name")
        parser.parse_args()
    """
    greet = tool(tmp_path, source, "greet.py")
    assert "Say hello to NAME." in help_text(greet) and "usage: greet" in help_text(greet)
    assert tool_help(greet).problem is None
    assert counter.read_text() == "x"  # asked twice, run once
    stamp = greet.path.stat().st_mtime_ns + 1_000_000_000
    os.utime(greet.path, ns=(stamp, stamp))
    help_text(greet)
    assert counter.read_text() == "xx"  # a new version of the file is asked again

    broken = tool(tmp_path / "b", "import sys\nprint('no help here', file=sys.stderr)\n"
                                  "sys.exit(4)\n", "broken.py")
    assert help_text(broken) == "(`broken --help` exited 4: no help here)"


def test_help_that_leaves_a_child_holding_its_output_does_not_hold_the_caller(
        tmp_path: Path) -> None:
    forker = tool(tmp_path, """
        import subprocess
        child = subprocess.Popen(["setsid", "sleep", "120"])  # keeps stdout open
        print("forker: starts", child.pid, "in the background")
    """, "forker.py")
    started = time.monotonic()
    described = tool_help(forker)
    assert time.monotonic() - started < 4  # not the 5 s help limit, not the 120 s of sleep
    assert described.problem is None and described.text.startswith("forker: starts")
    child = int(described.text.split()[2])
    assert wait_gone(child), "the --help's background child outlived it"


def test_help_that_floods_is_read_with_a_cap(tmp_path: Path) -> None:
    flood = tool(tmp_path, """
        import sys
        sys.stdout.buffer.write(b"flood: usage\\n")
        for _ in range(200):
            sys.stdout.buffer.write(b"x" * 1_000_000)
    """, "flood.py")
    tracemalloc.start()
    try:
        described = tool_help(flood)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert described.text.startswith("flood: usage") and len(described.text) < 20_000
    assert peak < 16_000_000, f"reading 200 MB of --help held {peak} bytes at the peak"


def test_a_tool_mode_bit_matters_only_for_non_python_files(tmp_path: Path) -> None:
    skill = make_skill(tmp_path, {"a.py": "print(1)\n", "b.sh": "#!/bin/sh\necho 1\n"})
    b = skill.folder / "tools" / "b.sh"
    found = {t.name: t for t in tools_of(skill)}
    assert found["a"].runnable and not found["b"].runnable
    b.chmod(b.stat().st_mode | stat.S_IXUSR)
    assert {t.name: t for t in tools_of(skill)}["b"].runnable


# --- permissions ---------------------------------------------------------------------------

def demo_tool(name: str = "my_tool", safe: bool = False) -> Tool:
    return Tool(skill="Demo", name=name, path=Path(f"/nowhere/{name}.py"),
                folder=Path("/nowhere"), safe=safe)


def test_policy_resolution_order() -> None:
    plain, safe = demo_tool(), demo_tool("lint", safe=True)
    assert resolve(plain, {}).action == "ask"
    assert resolve(safe, {}).action == "allow"
    assert "marks it safe" in resolve(safe, {}).source
    assert resolve(safe, {"demo/*": "deny"}).action == "deny"
    rule = resolve(plain, {"demo/*": "deny", "Demo/My-Tool": "allow"})
    assert rule.action == "allow" and '"Demo/My-Tool" = "allow"' in rule.source
    assert resolve(plain, {"other/*": "allow"}).action == "ask"
    assert resolve(plain, {"demo/*": "ask"}, granted={"demo/my-tool"}).action == "allow"


def test_conflicting_rules_for_one_tool_resolve_to_the_most_restrictive() -> None:
    tool = demo_tool("envdump")
    for table in ({"demo/envdump": "allow", "Demo/EnvDump": "deny"},
                  {"Demo/EnvDump": "deny", "demo/envdump": "allow"}):
        rule = resolve(tool, table)
        assert rule.action == "deny"
        assert '"Demo/EnvDump" = "deny"' in rule.source and '"demo/envdump"' in rule.source
        assert "conflict" in rule.source
    rule = resolve(demo_tool("env_dump"),
                   {"demo/env-dump": "ask", "demo/env_dump": "allow", "DEMO/ENV_DUMP": "allow"})
    assert rule.action == "ask"
    rule = resolve(tool, {"demo/*": "allow", "Demo/*": "ask"})
    assert rule.action == "ask" and '"Demo/*"' in rule.source and '"demo/*"' in rule.source
    assert conflicts({"demo/envdump": "allow", "Demo/EnvDump": "deny", "x/y": "allow",
                      "X/Y": "allow"}) == [
        'config.toml [skills.permissions]: "demo/envdump" = "allow" and "Demo/EnvDump" = "deny" '
        'name one tool; the most restrictive ("deny") applies']


def test_a_conflict_is_named_when_the_tool_is_refused(home: HomePaths) -> None:
    write_config(home, '[skills.permissions]\n"demo/envdump" = "allow"\n'
                       '"Demo/EnvDump" = "deny"\n')
    refusal = Permissions(load_config(home)).headless(demo_tool("envdump"), yes=True)
    assert refusal is not None and "denied" in refusal
    assert '"demo/envdump" = "allow"' in refusal and '"Demo/EnvDump" = "deny"' in refusal


def test_headless_refuses_ask_unless_yes_and_says_how_to_allow(home: HomePaths) -> None:
    permissions = Permissions(load_config(home))
    plain = demo_tool()
    refusal = permissions.headless(plain)
    assert refusal is not None and "--yes" in refusal
    assert '[skills.permissions]\n"demo/my_tool" = "allow"' in refusal
    assert str(permissions.config.home.config) in refusal
    assert permissions.headless(plain, yes=True) is None
    assert permissions.headless(demo_tool("lint", safe=True)) is None
    permissions.config.skills.permissions["demo/my_tool"] = "deny"
    denied = permissions.headless(plain, yes=True)
    assert denied is not None and "denied by config.toml" in denied


async def test_asking_yes_no_and_always(home: HomePaths) -> None:
    path = write_config(home, '# my settings\n[skills]\n# extra roots\nroots = ["~/skills"]\n\n'
                              '[skills.permissions]\n"art/*" = "deny"  # no images\n')
    permissions = Permissions(load_config(home))
    plain = demo_tool()
    answers: list[str] = []
    asked: list[tuple[str, list[str]]] = []

    async def ask(tool: Tool, args: list[str]) -> str:
        asked.append((tool.qualified, args))
        return answers.pop(0)

    answers[:] = ["no", "yes", "always"]
    assert await permissions.authorize(plain, ["a"], ask) == "you declined to run demo/my_tool"
    assert await permissions.authorize(plain, ["b"], ask) is None
    assert await permissions.authorize(plain, ["c"], ask) is None
    assert await permissions.authorize(plain, ["d"], ask) is None  # not asked again
    assert asked == [("demo/my_tool", ["a"]), ("demo/my_tool", ["b"]), ("demo/my_tool", ["c"])]

    text = path.read_text()
    for comment in ("# my settings", "# extra roots", '"art/*" = "deny"  # no images'):
        assert comment in text
    reloaded = load_config(home)
    assert reloaded.skills.permissions == {"art/*": "deny", "demo/my_tool": "allow"}
    assert reloaded.skills.roots == ["~/skills"]
    assert Permissions(reloaded).headless(plain) is None  # lasts beyond the session


def test_remember_refuses_a_broken_config_and_keeps_it(home: HomePaths) -> None:
    permissions = Permissions(load_config(home))
    broken = '[skills\nroots = 1\n'
    path = write_config(home, broken)
    with pytest.raises(ConfigError):
        permissions.remember(demo_tool())
    assert path.read_text() == broken


def test_remember_creates_the_table_in_a_new_file(home: HomePaths) -> None:
    permissions = Permissions(load_config(home))
    path = permissions.remember(demo_tool(), "deny")
    assert load_config(home).skills.permissions == {"demo/my_tool": "deny"}
    assert path == home.config

