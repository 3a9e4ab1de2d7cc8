"""Theme files are checked when read: every field and variable holds what Textual can use (colours
as colours, numbers in range, no CSS syntax in values), so a bad theme is reported with its file,
line and field and skipped; it never stops pai nor kills the running app."""

from __future__ import annotations

from pathlib import Path

import pytest

from pai_tui.config import ConfigError
from pai_tui.paths import HomePaths
from pai_tui.ui.themes import load_themes, theme_from_file
from tests.conftest import write_config
from tests.pilot import running

GOOD = 'name = "fine"\nprimary = "#2bb5a6"\n'

BAD_THEMES = [
    # (what follows the name and primary, line, field, words)
    ('[variables]\nborder = "red }"\n', 4, "variables.border", "CSS syntax"),
    ('[variables]\nborder = "red \\"x"\n', 4, "variables.border", "not a valid"),
    ('[variables]\nmine = "; } * { display: none; }"\n', 4, "variables.mine", "CSS syntax"),
    ('[variables]\n"block-cursor-foreground" = "red; color: blue"\n', 4,
     'variables.block-cursor-foreground', "CSS syntax"),
    ('[variables]\n"bad name!" = "red"\n', 4, 'variables."bad name!"', "variable name"),
    ("luminosity_spread = 1e308\n", 3, "luminosity_spread", "between 0 and 1"),
    ("luminosity_spread = nan\n", 3, "luminosity_spread", "not nan"),
    ("text_alpha = -1\n", 3, "text_alpha", "between 0 and 1"),
    ('accent = "red }"\n', 3, "accent", "not a color"),
    ('name = "x"\n', None, "name", "invalid TOML"),  # duplicate key: TOML's own error
]


@pytest.mark.parametrize(("extra", "line", "field", "words"), BAD_THEMES)
def test_a_bad_field_or_variable_is_reported_with_file_line_and_field(
        tmp_path: Path, extra: str, line: int | None, field: str, words: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(GOOD + extra, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        theme_from_file(path)
    error = caught.value
    assert error.path == path and words in str(error)
    if line is not None:
        assert (error.line, error.key) == (line, field)


def test_bad_themes_are_skipped_and_good_ones_kept(home: HomePaths) -> None:
    home.themes.mkdir(parents=True)
    (home.themes / "fine.toml").write_text(GOOD)
    (home.themes / "huge.toml").write_text('name = "huge"\nprimary = "#123456"\n'
                                          "luminosity_spread = 1e308\n")
    (home.themes / "brace.toml").write_text('name = "brace"\nprimary = "#123456"\n'
                                           '[variables]\nborder = "red }"\n')
    themes, problems = load_themes(home.themes)
    assert "fine" in themes and "huge" not in themes and "brace" not in themes
    assert any("huge.toml:3: key 'luminosity_spread'" in p for p in problems)
    assert any("brace.toml:4: key 'variables.border'" in p for p in problems)


async def test_a_saved_theme_that_became_invalid_falls_back_with_a_notice(
        home: HomePaths) -> None:
    home.themes.mkdir(parents=True)
    (home.themes / "sneaky.toml").write_text(
        'name = "sneaky"\nprimary = "#123456"\n[variables]\n'
        'mine = "; } * { display: none; }"\n')
    (home.themes / "huge.toml").write_text('name = "huge"\nprimary = "#123456"\n'
                                          "luminosity_spread = 1e308\n")
    write_config(home, '[ui]\ntheme = "sneaky"\n')
    async with running() as (app, _):
        assert app.theme == "pai"
        assert "sneaky" not in app.available_themes and "huge" not in app.available_themes
        messages = [str(n.message) for n in app._notifications]
        assert any("sneaky.toml:4: key 'variables.mine'" in m for m in messages)
        assert any("Theme 'sneaky'" in m and "invalid" in m and "'pai'" in m
                   for m in messages)
        assert app.is_running


def test_every_bundled_theme_passes_the_full_check() -> None:
    """The bundled themes are loaded without building their colours at start: proven here."""
    from pai_tui.paths import bundled

    paths = sorted(bundled("themes").glob("*.toml"))
    assert paths
    for path in paths:
        theme_from_file(path).to_color_system().generate()
