"""config.toml: valid settings load; bad files stop every command with exit 2, file:line and key,
and are never rewritten; settings pai writes itself are atomic and keep the user's comments."""

from __future__ import annotations

import os

import pytest

from pai_tui.config import ConfigError, load_config
from pai_tui.paths import HomePaths
from pai_tui.settings import write_setting
from tests.conftest import run_pai, write_config


def test_absent_file_means_defaults(home: HomePaths) -> None:
    config = load_config(home)
    assert config.ui.theme == "pai"
    assert config.ui.layout == "columns"
    assert config.keymap == {}
    assert not home.config.exists()


def test_valid_file_loads(home: HomePaths) -> None:
    write_config(home, '# mine\n[ui]\ntheme = "ember"\nlayout = "grid"\n\n'
                       '[keymap]\n"pane.history" = "f12"\n"app.help" = "?, ctrl+shift+h"\n')
    config = load_config(home)
    assert (config.ui.theme, config.ui.layout) == ("ember", "grid")
    assert config.keymap == {"pane.history": "f12", "app.help": "?, ctrl+shift+h"}


BAD_FILES = [
    # (content, line, key, words in the message)
    ('[ui]\ntheme = "pai"\nlayout = \n', 3, "layout", "invalid TOML"),
    ('[ui\ntheme = "pai"\n', 1, None, "invalid TOML"),
    ('[ui]\n# comment\ncolour = "red"\n', 3, "ui.colour", "unknown key"),
    ('shiny = true\n', 1, "shiny", "unknown key"),
    ('[ui]\ntheme = 42\n', 2, "ui.theme", "expected a string, got 42 (integer)"),
    ('[ui]\n\nlayout = "diagonal"\n', 3, "ui.layout", "expected 'columns' or 'grid'"),
    ('ui = "pai"\n', 1, "ui", "expected a table"),
    ('[keymap]\n"pane.chat" = "f2"\n"no.such.action" = "f9"\n', 3, 'keymap."no.such.action"',
     "unknown binding id"),
    ('[keymap]\n"app.quit" = 7\n', 2, 'keymap."app.quit"', "expected a string"),
    ('[keymap]\n"chat.send" = ","\n', 2, 'keymap."chat.send"', "names no key"),
    ('[keymap]\n"chat.send" = "f9,,f10"\n', 2, 'keymap."chat.send"', "empty key between"),
    ('[keymap]\n"chat.send" = "ctrl o"\n', 2, 'keymap."chat.send"', "is not a key name"),
    # The README's old example: alt+m is the model picker's.
    ('[keymap]\n"pane.maximize" = "alt+m,f6"\n', 2, 'keymap."pane.maximize"',
     "'alt+m' is also the key of 'model.switch'"),
]


@pytest.mark.parametrize(("content", "line", "key", "words"), BAD_FILES)
def test_bad_file_is_reported_with_file_line_and_key(home: HomePaths, content: str, line: int,
                                                      key: str | None, words: str) -> None:
    path = write_config(home, content)
    with pytest.raises(ConfigError) as caught:
        load_config(home)
    error = caught.value
    assert error.path == path
    assert error.line == line
    assert error.key == key
    message = str(error)
    assert message.startswith(f"{path}:{line}:")
    assert words in message
    if key:
        assert f"'{key}'" in message


def all_commands() -> list[list[str]]:
    """Every command line pai has: the bare `pai` and each leaf sub-command."""
    import click

    from pai_tui.cli.group import cli

    found: list[list[str]] = [[]]

    def walk(group: click.Group, prefix: list[str]) -> None:
        ctx = click.Context(group)
        for name in group.list_commands(ctx):  # as --help sees them, lazy ones included
            command = group.get_command(ctx, name)
            if isinstance(command, click.Group):
                walk(command, [*prefix, name])
            else:
                found.append([*prefix, name])

    walk(cli, [])
    return found


@pytest.mark.parametrize("command", all_commands(), ids=lambda c: " ".join(c) or "pai")
def test_every_command_stops_with_exit_2_and_leaves_the_file_alone(home: HomePaths,
                                                                    command: list[str]) -> None:
    content = '# my settings\n[ui]\ntheme = "pai"\nfont = "large"\n'
    path = write_config(home, content)
    before = path.stat().st_mtime_ns
    result = run_pai(*command)
    assert result.returncode == 2, result.stderr
    assert f"{path}:4: key 'ui.font': unknown key" in result.stderr
    if command == ["doctor"]:  # doctor is where people look: the table shows it as a row
        assert "Config" in result.stdout and "FAIL" in result.stdout
    else:
        assert result.stdout == ""
    assert path.read_text() == content
    assert path.stat().st_mtime_ns == before
    # Help still works, so the user can read how to fix things.
    help_result = run_pai(*command, "--help")
    assert help_result.returncode == 0 and help_result.stdout.startswith("Usage: pai")


def test_invalid_toml_names_line_and_key_on_the_command_line(home: HomePaths) -> None:
    path = write_config(home, '[ui]\ntheme = pai\n')
    result = run_pai("doctor")
    assert result.returncode == 2
    assert f"{path}:2: key 'theme': invalid TOML" in result.stderr


def test_write_setting_keeps_comments_and_other_keys(home: HomePaths) -> None:
    content = ('# my pai settings\n[ui]\ntheme = "pai"  # the default\nlayout = "grid"\n\n'
               '[keymap]\n# F12 is free in my terminal\n"pane.history" = "f12"\n')
    path = write_config(home, content)
    write_setting(path, "ui", "theme", "ember")
    text = path.read_text()
    assert text == content.replace('theme = "pai"', 'theme = "ember"')
    assert load_config(home).ui.theme == "ember"


def test_write_setting_creates_the_file_and_table(home: HomePaths) -> None:
    write_setting(home.config, "ui", "layout", "grid")
    assert load_config(home).ui.layout == "grid"


def test_write_setting_refuses_a_broken_file(home: HomePaths) -> None:
    content = "[ui\ntheme = 'pai'\n"
    path = write_config(home, content)
    with pytest.raises(ConfigError):
        write_setting(path, "ui", "theme", "ember")
    assert path.read_text() == content


def test_write_setting_is_atomic_and_keeps_the_mode(home: HomePaths) -> None:
    path = write_config(home, '[ui]\ntheme = "pai"\n')
    os.chmod(path, 0o600)
    write_setting(path, "ui", "theme", "ember")
    assert path.stat().st_mode & 0o777 == 0o600
    leftovers = [p.name for p in home.root.iterdir() if p.name.startswith(".config.toml.")]
    assert leftovers == []


def test_config_path_prints_where(home: HomePaths) -> None:
    assert run_pai("config", "path").stdout.strip() == str(home.config)
    assert run_pai("config", "path", "--home").stdout.strip() == str(home.root)


def test_database_url_comes_from_the_environment(home: HomePaths,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAI_DATABASE_URL", "sqlite:////tmp/elsewhere.db")
    assert load_config(home).database_url == "sqlite:////tmp/elsewhere.db"


OUT_OF_RANGE = [
    # (content, line, key, words in the message)
    ("[chat]\nretries = 99999999999999999999\n", 2, "chat.retries", "between 0 and 100"),
    ("[chat]\nmax_output_tokens = -100\n", 2, "chat.max_output_tokens", "between 1 and"),
    ("[chat]\n\nmax_retry_wait = nan\n", 3, "chat.max_retry_wait", "not nan"),
    ("[chat]\nmax_retry_wait = inf\n", 2, "chat.max_retry_wait", "between 0 and 3600"),
    ("[skills]\ntool_timeout = -1\n", 2, "skills.tool_timeout", "more than 0"),
    ("[skills]\noutput_cap = -5\n", 2, "skills.output_cap", "between 1 and"),
    ("[skills]\nthreshold = nan\n", 2, "skills.threshold", "not nan"),
    ("[skills]\nthreshold = 1.5\n", 2, "skills.threshold", "between 0 and 1"),
    ("[skills]\nmax_tool_turns = 0\n", 2, "skills.max_tool_turns", "between 1 and"),
    ('[providers.ollama]\nkind = "openai-compatible"\nbase_url = "http://h/v1"\n'
     "timeout = nan\n", 4, "providers.ollama.timeout", "not nan"),
    ('[providers.anthropic]\n[providers.anthropic.models."m"]\ncontext_window = -1\n', 3,
     'providers.anthropic.models.m.context_window', "between 1 and"),
    ('[providers.anthropic.models.m]\ninput_price = -0.5\n', 2,
     "providers.anthropic.models.m.input_price", "between 0 and"),
]


@pytest.mark.parametrize(("content", "line", "key", "words"), OUT_OF_RANGE)
def test_numbers_out_of_their_range_are_configuration_errors(
        home: HomePaths, content: str, line: int, key: str, words: str) -> None:
    path = write_config(home, content)
    with pytest.raises(ConfigError) as caught:
        load_config(home)
    assert (caught.value.path, caught.value.line, caught.value.key) == (path, line, key)
    assert words in str(caught.value)


def test_a_number_out_of_range_stops_pai_with_exit_2(home: HomePaths) -> None:
    path = write_config(home, "[skills]\ntool_timeout = -1\n")
    result = run_pai("doctor")
    assert result.returncode == 2
    assert f"{path}:2: key 'skills.tool_timeout': must be more than 0" in result.stderr


def test_an_in_memory_database_url_is_a_clear_error(home: HomePaths) -> None:
    result = run_pai("ask", "hello", env={"PAI_DATABASE_URL": "sqlite:///:memory:"})
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "PAI_DATABASE_URL" in result.stderr and "in memory" in result.stderr


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///file:x?mode=memory&uri=true", "nonsense"])
def test_database_urls_pai_cannot_keep_a_history_in_are_refused(
        home: HomePaths, monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("PAI_DATABASE_URL", url)
    with pytest.raises(ConfigError) as caught:
        load_config(home)
    assert "PAI_DATABASE_URL" in str(caught.value)


def test_a_dangling_config_symlink_is_an_error_not_defaults(home: HomePaths) -> None:
    home.root.mkdir(parents=True)
    home.config.symlink_to(home.root / "dotfiles" / "pai.toml")
    with pytest.raises(ConfigError) as caught:
        load_config(home)
    assert caught.value.path == home.config
    assert "dotfiles/pai.toml" in str(caught.value) and "does not exist" in str(caught.value)
    assert home.config.is_symlink()  # left as it was


def test_a_looping_config_symlink_is_an_error(home: HomePaths) -> None:
    home.root.mkdir(parents=True)
    other = home.root / "other.toml"
    home.config.symlink_to(other)
    other.symlink_to(home.config)
    with pytest.raises(ConfigError) as caught:
        load_config(home)
    assert "loop" in str(caught.value)


def test_the_default_keys_are_never_shared_by_two_live_actions() -> None:
    from pai_tui.actions import key_conflicts

    assert key_conflicts({}) == []
