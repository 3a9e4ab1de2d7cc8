"""`pai doctor` and the command line's --help/--version."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from pai_tui import __version__
from pai_tui.paths import HomePaths
from tests.conftest import run_pai, write_config
from tests.fakes.llm_server import FakeLLMServer


def rows(output: str) -> dict[str, str]:
    """Check name -> "STATUS | detail | fix", joining the lines a cell wraps onto."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in output.splitlines():
        if not line.startswith("│"):
            continue
        cells = [c.strip() for c in line.strip()[1:-1].split("│")]
        if len(cells) < 4:
            continue
        if cells[0] and cells[1] in ("OK", "WARN", "FAIL"):
            current = found.setdefault(cells[0], cells[1:4])
        elif current is not None and not cells[0]:
            for index, extra in enumerate(cells[1:4]):
                if extra:
                    current[index] = f"{current[index]} {extra}".strip()
    return {name: " | ".join(c for c in cells if c) for name, cells in found.items()}


# Keys without a configured endpoint would be checked against the vendors' own: point them at a
# closed loopback port instead (the suite reaches nothing beyond this machine).
NOWHERE = {"ANTHROPIC_BASE_URL": "http://127.0.0.1:9", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}


def doctor(**env: str):  # type: ignore[no-untyped-def]
    return run_pai("doctor", env={"COLUMNS": "500", **env})


def test_fresh_machine_can_run_with_warnings_only(home: HomePaths) -> None:
    result = doctor()
    assert result.returncode == 0, result.stdout + result.stderr
    table = rows(result.stdout)
    assert set(table) == {"Python", "PAI_HOME", "Config", "Database", "Synced folder",
                          "Provider keys", "Key age", "Default model", "Reachable",
                          "Local models", "Voice engine", "Themes", "Skills", "Hooks", "Log"}
    assert table["Synced folder"].startswith("OK") and "not in a synced folder" in \
        table["Synced folder"]
    assert table["Hooks"].startswith("OK | 0 registered")
    assert table["Default model"].startswith("WARN | offline")
    assert table["Python"].startswith("OK")
    assert table["Database"].startswith("OK") and "created on first start" in table["Database"]
    assert table["Provider keys"].startswith("WARN")
    assert "export ANTHROPIC_API_KEY" in table["Provider keys"]
    assert table["Themes"].startswith("OK") and "ember, pai, pai-light" in table["Themes"]
    assert table["Skills"].startswith("OK | 9 loaded")  # the bundled ones
    assert table["Log"].startswith("OK") and "nothing logged yet" in table["Log"]
    assert not home.database.exists()  # doctor looks, it does not create


def test_keys_are_shown_masked_to_the_last_four_characters() -> None:
    secret = "sk-ant-api03-VERYSECRETMATERIAL-9f3c"
    result = doctor(ANTHROPIC_API_KEY=secret, OPENAI_API_KEY="sk-proj-ANOTHERSECRET-77aa",
                    **NOWHERE)
    table = rows(result.stdout)
    assert table["Provider keys"].startswith("OK")
    assert "anthropic: ANTHROPIC_API_KEY (…9f3c)" in table["Provider keys"]
    assert "openai: OPENAI_API_KEY (…77aa)" in table["Provider keys"]
    assert table["Default model"] == "OK | anthropic · claude-sonnet-4-6"
    assert "SECRET" not in result.stdout + result.stderr


def test_keys_in_a_private_secrets_file_are_used_and_an_open_one_is_refused(
        home: HomePaths) -> None:
    home.root.mkdir(parents=True)
    secrets = home.root / "secrets.toml"
    secrets.write_text('OPENAI_API_KEY = "sk-from-the-secrets-file-4242"\n')
    secrets.chmod(0o600)
    table = rows(doctor(**NOWHERE).stdout)
    assert "openai: OPENAI_API_KEY (…4242)" in table["Provider keys"]
    assert table["Default model"] == "OK | openai · gpt-5-mini"

    secrets.chmod(0o644)
    result = doctor(**NOWHERE)
    table = rows(result.stdout)
    assert table["Provider keys"].startswith("WARN") and "readable by others" in \
        table["Provider keys"] and "chmod 600" in table["Provider keys"]
    assert "4242" not in result.stdout
    assert table["Default model"].startswith("WARN | offline")


def test_a_local_ollama_is_offered_not_used(home: HomePaths) -> None:
    from tests.fakes.llm_server import FakeLLMServer

    with FakeLLMServer(ollama_models=["llama3.2", "qwen3"]) as server:
        result = doctor(OLLAMA_HOST=f"127.0.0.1:{server.port}")
    row = rows(result.stdout)["Local models"]
    assert row.startswith("WARN") and "Ollama answers" in row and "llama3.2, qwen3" in row
    assert "Use local Ollama" in row
    assert rows(result.stdout)["Default model"].startswith("WARN | offline")  # not silently used
    assert rows(doctor(OLLAMA_HOST="127.0.0.1:9").stdout)["Local models"].startswith("OK | no")


def test_voice_engine_row_says_how_to_install_it_when_missing() -> None:
    result = doctor(PATH="/nonexistent")  # espeak-ng cannot be found on this PATH
    row = rows(result.stdout)["Voice engine"]
    assert row.startswith("WARN") and "apt-get install espeak-ng" in row
    assert result.returncode == 0


def test_pai_home_that_is_not_a_folder_fails(home: HomePaths) -> None:
    home.root.parent.mkdir(parents=True, exist_ok=True)
    home.root.write_text("oops")
    result = doctor()
    assert result.returncode == 1
    assert rows(result.stdout)["PAI_HOME"].startswith("FAIL")
    assert "cannot run: fix PAI_HOME" in result.stderr


def test_pai_home_that_is_a_file_stops_the_cockpit_with_a_clear_message(home: HomePaths) -> None:
    home.root.parent.mkdir(parents=True, exist_ok=True)
    home.root.write_text("oops")
    result = run_pai()
    assert result.returncode == 2
    assert f"cannot use PAI_HOME {home.root}" in result.stderr
    assert "Traceback" not in result.stderr


def test_database_schema_is_reported(home: HomePaths) -> None:
    from pai_tui.history.migrations import LATEST
    from pai_tui.history.store import Store
    from pai_tui.history.urls import sqlite_url

    store, _, _ = Store.open(sqlite_url(home.database), home.backups)
    store.close()
    assert f"schema v{LATEST} (current)" in rows(doctor().stdout)["Database"]

    with sqlite3.connect(home.database) as db:
        db.execute("UPDATE schema_version SET version = ?", (LATEST + 1,))
    db.close()
    result = doctor()  # an older pai reads a newer history, and says what writing needs
    row = rows(result.stdout)["Database"]
    assert row.startswith("WARN") and "newer than this pai" in row and "only reads" in row
    assert "upgrade pai" in result.stdout


def test_a_history_in_a_synced_folder_is_a_warning_saying_to_share_with_postgresql(
        tmp_path: Path) -> None:
    synced = tmp_path / "Sync"
    (synced / ".stfolder").mkdir(parents=True)
    result = doctor(PAI_HOME=str(synced / "pai"))
    assert result.returncode == 0, result.stdout + result.stderr  # pai runs; it is warned
    row = rows(result.stdout)["Synced folder"]
    assert row.startswith("WARN") and f"{synced / 'pai' / 'pai.db'}" in row
    assert f"in a folder Syncthing syncs ({synced}: it holds .stfolder)" in row
    assert "PAI_DATABASE_URL=postgresql+psycopg://" in row
    dropbox = tmp_path / "Dropbox" / "pai"
    row = rows(doctor(PAI_HOME=str(dropbox)).stdout)["Synced folder"]
    assert row.startswith("WARN") and f"in a Dropbox folder ({tmp_path / 'Dropbox'})" in row
    row = rows(doctor(PAI_HOME=str(dropbox),
                      PAI_DATABASE_URL="postgresql+psycopg://me@127.0.0.1:9/pai").stdout)
    assert row["Synced folder"].startswith("OK | not an SQLite file")


def test_unusable_database_url_fails_without_showing_its_password(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = doctor(PAI_DATABASE_URL=f"sqlite:///{blocker}/sub/x.db")
    assert result.returncode == 1
    assert rows(result.stdout)["Database"].startswith(f"FAIL | {blocker}/sub/x.db cannot be")
    for url in ("nosuchdialect://user:hunter2@localhost/pai",
                "postgresql://u:hun/ter2@127.0.0.1:1/db",
                "postgresql://u:p%40ss%2Fw0rd@127.0.0.1:1/db"):
        result = doctor(PAI_DATABASE_URL=url)
        assert result.returncode == 1
        shown = result.stdout + result.stderr
        for secret in ("hunter2", "ter2", "w0rd"):
            assert secret not in shown, (url, shown)
        assert "***" in rows(result.stdout)["Database"]


def test_broken_theme_is_a_warning_naming_file_and_field(home: HomePaths) -> None:
    home.themes.mkdir(parents=True)
    (home.themes / "bad.toml").write_text('name = "bad"\nprimary = "#123456"\ndark = "yes"\n')
    result = doctor()
    assert result.returncode == 0
    row = rows(result.stdout)["Themes"]
    assert row.startswith("WARN") and "bad.toml:3: key 'dark'" in row


def test_broken_skill_and_routing_rule_are_warnings_naming_the_file(home: HomePaths) -> None:
    broken = home.skills / "broken"
    broken.mkdir(parents=True)
    (broken / "SKILL.md").write_text("---\nname: [unclosed\n---\nbody\n")
    row = rows(doctor().stdout)["Skills"]
    assert row.startswith("WARN") and "1 not loaded" in row
    (home.root / "routing.toml").write_text('[[rule]]\nregex = "(unclosed"\nskill = "summarize"\n')
    row = rows(doctor().stdout)["Skills"]
    assert row.startswith("WARN") and "routing.toml:2" in row


@pytest.mark.parametrize("command", [[], ["doctor"], ["config"], ["config", "path"], ["keys"],
                                     ["skill"], ["skill", "run"], ["route"]])
def test_help_on_every_command(command: list[str]) -> None:
    result = run_pai(*command, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("Usage: pai")


def test_version() -> None:
    result = run_pai("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"pai, version {__version__}"


def test_keys_lists_every_binding_id() -> None:
    from pai_tui.actions import ACTIONS

    result = run_pai("keys")
    assert result.returncode == 0
    for spec in ACTIONS:
        assert spec.id in result.stdout


def test_themes_that_used_to_crash_are_warnings_naming_file_and_field(home: HomePaths) -> None:
    home.themes.mkdir(parents=True)
    (home.themes / "brace.toml").write_text('name = "brace"\nprimary = "#123456"\n'
                                           '[variables]\nborder = "red }"\n')
    (home.themes / "huge.toml").write_text('name = "huge"\nprimary = "#123456"\n'
                                          "luminosity_spread = 1e308\n")
    result = doctor()
    assert result.returncode == 0 and "Traceback" not in result.stderr
    row = rows(result.stdout)["Themes"]
    assert row.startswith("WARN")
    assert "brace.toml:4: key 'variables.border'" in row
    assert "huge.toml:3: key 'luminosity_spread'" in row
    write_config(home, '[ui]\ntheme = "huge"\n')
    row = rows(doctor().stdout)["Themes"]
    assert row.startswith("WARN") and "('huge') is not among the valid ones" in row


def test_a_pai_home_that_cannot_be_made_is_a_failure_not_ok() -> None:
    table = rows(doctor(PAI_HOME="/proc/nope").stdout)
    assert table["PAI_HOME"].startswith("FAIL") and "/proc/nope cannot be created" in \
        table["PAI_HOME"]


def test_a_damaged_database_is_a_failure_that_says_where_the_backups_are(
        home: HomePaths) -> None:
    home.ensure()
    home.database.write_bytes(b"this is not a database at all " * 200)
    result = doctor()
    table = rows(result.stdout)
    assert result.returncode == 1
    assert table["Database"].startswith("FAIL") and "damaged or not a database" in \
        table["Database"]
    assert str(home.backups) in table["Database"]
    assert "PAI_DATABASE_URL" not in table["Database"]  # it is not set: no pointing at it


def test_a_broken_config_is_a_row_with_its_fix_not_just_an_exit(home: HomePaths) -> None:
    write_config(home, '[chat]\nretries = "many"\n')
    result = doctor()
    table = rows(result.stdout)
    assert result.returncode == 2  # the configuration exit, as every command
    assert table["Config"].startswith("FAIL") and "config.toml:2" in table["Config"]
    assert "retries" in table["Config"] and "did not change it" in table["Config"]
    assert table["Python"].startswith("OK")  # the other checks still ran


def test_doctor_points_at_no_check_of_its_own_in_its_fixes(home: HomePaths) -> None:
    result = doctor()
    assert "(`pai doctor` shows keys)" not in result.stdout


def test_the_cockpit_without_a_terminal_says_so_and_suggests_pai_ask(home: HomePaths) -> None:
    result = run_pai(input="")  # stdin and stdout are pipes: no full screen to draw on
    assert result.returncode == 2
    assert "needs a terminal" in result.stderr and "pai ask" in result.stderr
    assert "\x1b" not in result.stdout  # no screen drawn into a file


def test_doctor_says_whether_the_default_provider_answers_without_sending_a_prompt(
        home: HomePaths, llm_server: FakeLLMServer) -> None:
    from tests.conftest import TEST_KEYS, point_providers_at

    point_providers_at(home, llm_server)
    table = rows(doctor(ANTHROPIC_API_KEY=TEST_KEYS["anthropic"]).stdout)
    assert table["Reachable"].startswith("OK | anthropic: http://127.0.0.1:")
    assert "answers" in table["Reachable"]
    assert all(r.method == "GET" and "models" in r.path for r in llm_server.requests)
    assert TEST_KEYS["anthropic"] not in table["Reachable"]
    table = rows(doctor(ANTHROPIC_API_KEY=TEST_KEYS["anthropic"],
                        ANTHROPIC_BASE_URL="http://127.0.0.1:9").stdout)
    assert table["Reachable"].startswith("OK")  # config.toml's base_url wins over the variable
    write_config(home, '[providers.anthropic]\nbase_url = "http://127.0.0.1:9"\n')
    table = rows(doctor(ANTHROPIC_API_KEY=TEST_KEYS["anthropic"]).stdout)
    assert table["Reachable"] == ("WARN | anthropic: cannot connect to http://127.0.0.1:9 | "
                                  "check the network, base_url in config.toml or the "
                                  "*_BASE_URL variable, and the key")
