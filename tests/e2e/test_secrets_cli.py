"""`pai secrets`: the scan of files and of the staged diff, the git pre-commit hook on a real
repository, the bundled secrets-guard hook, and key rotation against the loopback server. No
key is ever printed whole: every test asserts it on stdout and stderr."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pai_tui.paths import HomePaths
from tests.conftest import REPO, point_providers_at, run_pai
from tests.fake_keys import fake_keys, private_key_block
from tests.fakes.llm_server import FakeLLMServer

KEYS = fake_keys()
OTHER = fake_keys(seed=12)


def assert_never_whole(result: subprocess.CompletedProcess[str], *values: str) -> None:
    for value in values:
        for stream in (result.stdout, result.stderr):
            assert value not in stream and value[:-4] not in stream


def pai(*args: str, cwd: Path, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_pai(*args, cwd=cwd, input=input)


# --- scan -----------------------------------------------------------------------------------

def test_scan_prints_path_line_kind_and_last_4_and_exits_1(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "config").mkdir(parents=True)
    (project / ".git").mkdir()  # a folder of a tool: never scanned
    (project / ".git" / "leak").write_text(KEYS["github-token"])
    (project / "config" / "app.json").write_text(
        '{\n  "name": "app",\n  "token": "' + KEYS["github-token"] + '"\n}\n')
    (project / ".env").write_text("DEBUG=1\nOPENAI_API_KEY=" + KEYS["openai-key"] + "\n")
    (project / "deploy.pem").write_text(private_key_block(KEYS["private-key"]))
    (project / "notes.md").write_text("Keys live in the environment, never here.\n")
    (project / "blob.bin").write_bytes(b"\0\1\2" + KEYS["aws-access-key"].encode())
    result = pai("secrets", "scan", "project", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        f"project/.env:2: openai-key (…{KEYS['openai-key'][-4:]})",
        f"project/deploy.pem:1: private-key (…{KEYS['private-key'][-4:]})",
        f"project/config/app.json:3: github-token (…{KEYS['github-token'][-4:]})"]
    assert "3 thing(s) shaped like a secret in 3 file(s)" in result.stderr
    assert_never_whole(result, *KEYS.values())


def test_a_clean_folder_exits_0_and_prints_nothing(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text('import os\nKEY = os.environ["OPENAI_API_KEY"]\n')
    result = pai("secrets", "scan", ".", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, ""), result.stderr


def test_a_large_file_is_skipped_and_said_to_be(tmp_path: Path) -> None:
    (tmp_path / "dump.sql").write_text(("x" * 99 + "\n") * 30_000)  # 3 MB
    result = pai("secrets", "scan", "dump.sql", cwd=tmp_path)
    assert result.returncode == 0
    assert "skipped dump.sql: larger than 2,000,000 bytes (3,000,000)" in result.stderr


def test_the_allow_list_file_silences_by_fingerprint(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("Example: `AWS_KEY_ID=" + KEYS["aws-access-key"] + "`\n"
                                        "and " + OTHER["google-api-key"] + "\n")
    first = pai("secrets", "scan", "--fingerprints", "README.md", cwd=tmp_path)
    assert first.returncode == 1
    lines = first.stdout.splitlines()
    assert [line.split("  ")[0] for line in lines] == [
        f"README.md:1: aws-access-key (…{KEYS['aws-access-key'][-4:]})",
        f"README.md:2: google-api-key (…{OTHER['google-api-key'][-4:]})"]
    (tmp_path / ".pai-secrets-allow").write_text(f"{lines[0].split('  ')[1]}  # README example\n")
    second = pai("secrets", "scan", "README.md", cwd=tmp_path)
    assert second.returncode == 1 and second.stdout.splitlines() == [lines[1].split("  ")[0]]
    (tmp_path / ".pai-secrets-allow").write_text("# ok\nnot-a-fingerprint\n")
    broken = pai("secrets", "scan", "README.md", cwd=tmp_path)
    assert broken.returncode == 2
    assert ".pai-secrets-allow:2: not a fingerprint" in broken.stderr
    assert_never_whole(first, KEYS["aws-access-key"], OTHER["google-api-key"])


# --- the staged diff and the git hook -------------------------------------------------------

GIT_ENV = {"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.org",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **GIT_ENV,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env=env,
                          timeout=120)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    assert git(repo, "init", "-q", "-b", "main").returncode == 0
    (repo / "app.py").write_text("".join(f"line = {n}\n" for n in range(1, 11)))
    git(repo, "add", "app.py")
    assert git(repo, "commit", "-qm", "first").returncode == 0
    return repo


def test_staged_scan_sees_added_lines_at_their_line_in_the_new_file(repo: Path) -> None:
    lines = (repo / "app.py").read_text().splitlines()
    lines[6:6] = ["# settings", f'SLACK = "{KEYS["slack-token"]}"']  # new lines 7 and 8
    (repo / "app.py").write_text("\n".join(lines) + "\n")
    (repo / "later.txt").write_text(KEYS["anthropic-key"])  # not staged: not looked at
    git(repo, "add", "app.py")
    result = pai("secrets", "scan", "--staged", cwd=repo)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [f"app.py:8: slack-token (…{KEYS['slack-token'][-4:]})"]
    assert "commit refused" in result.stderr
    assert_never_whole(result, KEYS["slack-token"], KEYS["anthropic-key"])


def test_the_installed_hook_refuses_a_commit_with_a_key_and_passes_one_without(
        repo: Path) -> None:
    installed = pai("secrets", "install-hook", cwd=repo)
    assert installed.returncode == 0, installed.stderr
    hook = repo / ".git" / "hooks" / "pre-commit"
    assert f"wrote {hook}" in installed.stdout and os.access(hook, os.X_OK)
    (repo / "deploy.sh").write_text(f"export API_TOKEN={KEYS['secret-assignment']}\n")
    git(repo, "add", "deploy.sh")
    refused = git(repo, "commit", "-qm", "deploy")
    assert refused.returncode != 0
    # git passes the hook's stdout on to stderr
    assert f"deploy.sh:1: secret-assignment (…{KEYS['secret-assignment'][-4:]})" in refused.stderr
    assert "commit refused" in refused.stderr
    assert_never_whole(refused, KEYS["secret-assignment"])
    assert git(repo, "log", "--format=%s").stdout.split() == ["first"]
    (repo / "deploy.sh").write_text('export API_TOKEN="$(pass show deploy/token)"\n')
    git(repo, "add", "deploy.sh")
    passed = git(repo, "commit", "-qm", "deploy")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert git(repo, "log", "--format=%s").stdout.split() == ["deploy", "first"]


def test_install_hook_leaves_another_hook_alone_unless_forced(repo: Path) -> None:
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\n# lint first\nmake lint\n")
    hook.chmod(0o755)
    refused = pai("secrets", "install-hook", str(repo), cwd=repo.parent)
    assert refused.returncode == 1
    assert f"{hook} is already there (3 lines; it runs: make lint)" in refused.stderr
    assert hook.read_text() == "#!/bin/sh\n# lint first\nmake lint\n"
    forced = pai("secrets", "install-hook", "--force", str(repo), cwd=repo.parent)
    assert forced.returncode == 0, forced.stderr
    assert "make lint" in (hook.parent / "pre-commit.before-pai").read_text()
    assert "secrets scan --staged" in hook.read_text()
    again = pai("secrets", "install-hook", str(repo), cwd=repo.parent)  # pai's own: rewritten
    assert again.returncode == 0, again.stderr


def test_pai_home_gets_the_hook_when_it_is_a_repository(tmp_path: Path) -> None:
    from pai_tui.secrets.githook import install_home_hook

    home = tmp_path / "home"
    home.mkdir()
    assert install_home_hook(home) is None  # not a repository (yet)
    git(home, "init", "-q")
    hook = install_home_hook(home)
    assert hook == (home / ".git" / "hooks" / "pre-commit").resolve()
    assert "pai-secrets" in hook.read_text()


def test_the_project_repository_declares_its_pre_commit_hook() -> None:
    import yaml

    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    ours = next(h for h in hooks if h["id"] == "pai-secrets")
    assert ours["entry"] == "pai secrets scan --staged" and ours["pass_filenames"] is False
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    assert "pai-secrets" in [h["id"] for r in config["repos"] for h in r["hooks"]]


# --- the secrets-guard hook ------------------------------------------------------------------

GUARD = REPO / "assets" / "hooks" / "secrets-guard"


def run_guard(payload: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PAI_PYTHON": sys.executable, "PYTHONPATH": str(REPO)}
    data = payload if isinstance(payload, str) else json.dumps(payload)
    return subprocess.run([str(GUARD)], input=data, capture_output=True, text=True, env=env,
                          timeout=60)


def test_the_guard_blocks_a_tool_call_carrying_a_key() -> None:
    key = KEYS["anthropic-key"]
    result = run_guard({"hook_event_name": "PreToolUse", "tool_name": "Bash",
                        "tool_input": {"command": f"curl -H 'x-api-key: {key}' https://x"}})
    assert result.returncode == 2
    assert result.stderr.startswith("secrets-guard: blocked Bash:")
    assert f"tool_input.command line 1: anthropic-key (…{key[-4:]})" in result.stderr
    assert_never_whole(result, key)
    block = private_key_block(KEYS["private-key"])
    written = run_guard({"tool_name": "Write",
                         "tool_input": {"file_path": "k.pem", "content": block}})
    assert written.returncode == 2 and "tool_input.content line 1: private-key" in written.stderr


def test_the_guard_lets_a_clean_call_run_and_fails_closed_on_garbage() -> None:
    clean = run_guard({"tool_name": "Bash", "tool_input": {"command": "ls -la ~/.ssh"}})
    assert (clean.returncode, clean.stderr) == (0, "")
    garbage = run_guard("{not json")
    assert garbage.returncode == 2 and "cannot read the hook input" in garbage.stderr


# --- keys of secrets.toml: add, list, rotate, doctor -----------------------------------------

def local_provider(home: HomePaths, server: FakeLLMServer, extra: str = "") -> None:
    point_providers_at(home, server, extra=f"""
[providers.local]
kind = "openai-compatible"
base_url = "{server.openai_url}"
key_env = "LOCAL_KEY"
{extra}
""")


def secrets_toml(home: HomePaths) -> Path:
    return home.root / "secrets.toml"


def test_add_stores_a_dated_key_with_mode_600_and_list_masks_it(
        home: HomePaths, llm_server: FakeLLMServer) -> None:
    local_provider(home, llm_server)
    key = KEYS["openai-key"]
    added = run_pai("secrets", "add", "local", input=key + "\n")
    assert added.returncode == 0, added.stderr
    assert f"stored local's key (…{key[-4:]}) as LOCAL_KEY" in added.stdout
    path = secrets_toml(home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert f'LOCAL_KEY = "{key}"' in text and "[added]" in text
    again = run_pai("secrets", "add", "local", input=OTHER["openai-key"] + "\n")
    assert again.returncode == 1 and "pai secrets rotate local" in again.stderr
    assert key in path.read_text() and OTHER["openai-key"] not in path.read_text()
    listed = run_pai("secrets", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    row = json.loads(listed.stdout.splitlines()[0])
    assert row["variable"] == "LOCAL_KEY" and row["key"] == f"…{key[-4:]}"
    assert row["age_days"] == 0 and row["last_failure"] is None
    for result in (added, again, listed):
        assert_never_whole(result, key, OTHER["openai-key"])


def test_rotate_keeps_the_old_key_when_the_new_one_is_refused(
        home: HomePaths, llm_server: FakeLLMServer) -> None:
    local_provider(home, llm_server)
    old, bad, good = KEYS["openai-key"], OTHER["openai-key"], fake_keys(13)["openai-key"]
    assert run_pai("secrets", "add", "local", input=old + "\n").returncode == 0
    llm_server.refused_keys.add(bad)
    refused = run_pai("secrets", "rotate", "local", input=bad + "\n")
    assert refused.returncode == 1
    assert "was not accepted" in refused.stderr and f"LOCAL_KEY keeps …{old[-4:]}" in \
        refused.stderr
    assert old in secrets_toml(home).read_text() and bad not in secrets_toml(home).read_text()
    checks = [r for r in llm_server.requests if r.api_key == bad]
    assert [(r.method, r.path) for r in checks] == [("GET", "/v1/models")]  # no prompt sent
    rotated = run_pai("secrets", "rotate", "local", input=good + "\n")
    assert rotated.returncode == 0, rotated.stderr
    assert f"LOCAL_KEY: …{good[-4:]} checked" in rotated.stdout
    assert f"retired …{old[-4:]}" in rotated.stdout
    text = secrets_toml(home).read_text()
    assert good in text and old not in text
    assert stat.S_IMODE(secrets_toml(home).stat().st_mode) == 0o600
    listed = run_pai("secrets", "list")
    assert f"LOCAL_KEY              …{good[-4:]}" in listed.stdout
    assert "last used: 20" in listed.stdout  # the check's time
    assert all(r.method == "GET" for r in llm_server.requests)
    for result in (refused, rotated, listed):
        assert_never_whole(result, old, bad, good)


def test_an_old_secrets_file_is_read_migrated_and_its_old_keys_flagged_by_doctor(
        home: HomePaths, llm_server: FakeLLMServer) -> None:
    local_provider(home, llm_server, extra="")
    home.root.mkdir(parents=True, exist_ok=True)
    legacy = KEYS["anthropic-key"]
    path = secrets_toml(home)
    path.write_text(f'# my keys\nANTHROPIC_API_KEY = "{legacy}"  # work account\n')
    path.chmod(0o600)
    long_ago = time.time() - 120 * 86_400
    os.utime(path, (long_ago, long_ago))
    listed = run_pai("secrets", "list")
    assert "ANTHROPIC_API_KEY" in listed.stdout and "age unknown" in listed.stdout
    added = run_pai("secrets", "add", "local", input=KEYS["openai-key"] + "\n")
    assert added.returncode == 0, added.stderr
    text = path.read_text()
    assert "# my keys" in text and "# work account" in text and legacy in text  # kept
    doctor = run_pai("doctor", env={"COLUMNS": "500"})
    row = next(line for line in doctor.stdout.splitlines() if "Key age" in line)
    assert "WARN" in row and "ANTHROPIC_API_KEY" in row and "older than 90 days" in row
    assert "LOCAL_KEY" not in row
    for result in (listed, added, doctor):
        assert_never_whole(result, legacy, KEYS["openai-key"])


def test_the_pre_commit_framework_runs_the_projects_hook(repo: Path, tmp_path: Path) -> None:
    """The project's own .pre-commit-config.yaml (repo: local, language: system: no network),
    run by the pre-commit framework on a temporary repository."""
    framework = Path(sys.executable).parent / "pre-commit"
    assert framework.exists(), "pre-commit is a test dependency (pyproject.toml [test])"
    (repo / ".pre-commit-config.yaml").write_text((REPO / ".pre-commit-config.yaml").read_text())
    git(repo, "add", ".pre-commit-config.yaml")
    assert git(repo, "commit", "-qm", "hooks").returncode == 0

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
               "PATH": f"{framework.parent}{os.pathsep}{os.environ['PATH']}",
               "PYTHONPATH": str(REPO)}
        return subprocess.run(list(args), cwd=repo, capture_output=True, text=True, env=env,
                              timeout=180)

    installed = run(str(framework), "install")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    (repo / "settings.yaml").write_text(f"github:\n  token: {KEYS['github-token']}\n")
    run("git", "add", "settings.yaml")
    refused = run("git", "commit", "-qm", "settings")
    assert refused.returncode != 0
    output = refused.stdout + refused.stderr
    assert f"settings.yaml:2: github-token (…{KEYS['github-token'][-4:]})" in output
    assert_never_whole(refused, KEYS["github-token"])
    (repo / "settings.yaml").write_text("github:\n  token_from: GITHUB_TOKEN\n")
    run("git", "add", "settings.yaml")
    passed = run("git", "commit", "-qm", "settings")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert git(repo, "log", "--format=%s").stdout.split() == ["settings", "hooks", "first"]


def test_list_says_when_a_key_was_last_used_and_last_refused(
        home: HomePaths, llm_server: FakeLLMServer) -> None:
    from tests.fakes.llm_server import Reply

    local_provider(home, llm_server)
    key = KEYS["openai-key"]
    assert run_pai("secrets", "add", "local", input=key + "\n").returncode == 0
    before = json.loads(run_pai("secrets", "list", "--json").stdout)
    assert (before["last_used"], before["last_failure"]) == (None, None)
    asked = run_pai("ask", "--provider", "local", "--model", "m", "hi")
    assert asked.returncode == 0, asked.stderr
    used = json.loads(run_pai("secrets", "list", "--json").stdout)
    assert used["last_used"] and used["last_failure"] is None
    llm_server.queue(Reply(status=401))
    refused = run_pai("ask", "--provider", "local", "--model", "m", "hi")
    assert refused.returncode != 0
    listed = run_pai("secrets", "list", "--json")
    after = json.loads(listed.stdout)
    assert after["last_used"] == used["last_used"] and after["last_failure"].endswith("HTTP 401")
    assert stat.S_IMODE((home.root / "key-usage.json").stat().st_mode) == 0o600
    assert key not in (home.root / "key-usage.json").read_text()
    for result in (asked, refused, listed):
        assert_never_whole(result, key)
