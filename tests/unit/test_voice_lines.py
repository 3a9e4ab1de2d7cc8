"""What of an answer is spoken, and which voice speaks: pure functions and the config."""

from __future__ import annotations

from pathlib import Path

import pytest

from pai_tui.agents.catalog import load_catalog
from pai_tui.agents.definition import read_agent
from pai_tui.config import ConfigError, VoiceSettings, VoiceSpec, load_config
from pai_tui.paths import HomePaths
from pai_tui.voice.lines import spoken_line
from pai_tui.voice.model import VoiceInfo
from pai_tui.voice.narrator import spoken_name
from pai_tui.voice.voices import KnownVoices, build_book, derived_voice
from tests.conftest import write_config


@pytest.mark.parametrize(("answer", "said"), [
    ("Here is the plan. It has three steps.", "Here is the plan."),
    ("Some context first.\n\n🗣️ Kai: The export is done.\n\nMore.", "Kai: The export is done."),
    ("**🗣️ Architect:** design ready", "Architect: design ready"),
    ("🗣 no variation selector", "no variation selector"),
    ("# Export\n\n```python\nprint('never said')\n```\n\n| a | b |\n|---|---|\n\n"
     "The **export** works now! Details follow.", "The export works now!"),
    ("```\nonly code. nothing else.\n```", ""),
    ("| only | a table |\n|---|---|\n| x | y |", ""),
    ("    indented code. here.\n\nProse after it.", "Prose after it."),
    ("Version 1.2 is out. See [the docs](https://example.com/x).", "Version 1.2 is out."),
    ("- first item of a list. second sentence.", "first item of a list."),
    ("Read https://example.com/a.b now. Then go.", "Read now."),
    ("", ""),
])
def test_the_spoken_line_of_an_answer(answer: str, said: str) -> None:
    assert spoken_line(answer) == said


def test_a_long_sentence_is_cut_at_a_word_within_the_cap() -> None:
    said = spoken_line("word " * 200, cap=50)
    assert len(said) <= 50 and said.endswith("word") and "  " not in said
    assert spoken_line("🗣️ " + "x" * 500, cap=40) == "x" * 40


def test_names_are_said_as_words() -> None:
    assert spoken_name("qa-tester") == "QA tester"
    assert spoken_name("red-teamer") == "Red teamer"
    assert spoken_name("architect") == "Architect"


def test_a_derived_voice_depends_on_the_name_only_and_names_differ() -> None:
    assert derived_voice("Brand Guardian") == derived_voice("brand-guardian")
    names = ["planner", "writer", "critic", "scout", "librarian", "tester", "reviewer", "coach"]
    assert len({derived_voice(name) for name in names}) == len(names)
    for name in names:
        voice = derived_voice(name)
        assert "+" in voice.id and 150 <= voice.rate <= 195 and 30 <= voice.pitch <= 70


KNOWN = KnownVoices.of([VoiceInfo("en-us", "English"), VoiceInfo("en-gb", "English GB"),
                        VoiceInfo("f3", "f3", "F", "variant"), VoiceInfo("m3", "m3", "M",
                                                                          "variant")])


def test_ids_are_checked_against_the_engine_s_voices_and_variants() -> None:
    assert KNOWN.problem("en-us+f3") is None and KNOWN.problem("EN-GB") is None
    assert "'xx-yy' is not a voice" in KNOWN.problem("xx-yy+f3")  # type: ignore[operator]
    assert "'+q9' is not a variant" in KNOWN.problem("en-us+q9")  # type: ignore[operator]
    assert KnownVoices().problem("anything") is None  # an engine that cannot list: no check


def _agent(folder: Path, name: str, voice: str) -> Path:
    path = folder / f"{name}.md"
    path.write_text(f"---\nname: {name}\ndescription: d\n{voice}---\nBody.\n")
    return path


def test_an_unknown_id_is_a_warning_naming_the_file_and_line_and_the_derived_voice_is_used(
        tmp_path: Path) -> None:
    bad = _agent(tmp_path, "bad", "model: sonnet\nvoice:\n  id: klingon+m3\n  pitch: 20\n")
    eleven = _agent(tmp_path, "eleven", "voiceId: 21m00Tcm4TlvDq8ikWAM\nvoice:\n  stability: 1\n")
    good = _agent(tmp_path, "good", "voice: en-gb+m3\n")
    loud = _agent(tmp_path, "loud", "voice:\n  id: en-us+f3\n  volume: 7\n  rate: 300\n")
    agents = [read_agent(path, tmp_path) for path in (bad, eleven, good, loud)]
    book = build_book(VoiceSettings(main="en-us+f3"), agents, KNOWN, tmp_path / "config.toml")
    assert book.voice_for("bad") == derived_voice("bad")
    assert book.voice_for("eleven") == derived_voice("eleven")  # ElevenLabs: no offline meaning
    assert book.voice_for("good").id == "en-gb+m3"
    assert book.voice_for("loud").id == "en-us+f3" and book.voice_for("loud").rate == 300
    assert book.voice_for("loud").volume == 0.9  # 7 is out of range: the default
    assert [w.split(": ", 1)[0] for w in book.warnings] == [f"{bad}:5", f"{loud}:4"]
    assert "unknown voice 'klingon+m3'" in book.warnings[0]
    assert "volume must be a number from 0 to 1, not 7" in book.warnings[1]
    assert book.sources == {"bad": "derived from the name", "eleven": "derived from the name",
                            "good": "agent file", "loud": "agent file"}


def test_config_voices_come_before_the_agent_files(home: HomePaths) -> None:
    write_config(home, '[voice]\nmain = {id = "en-gb+m3", rate = 200}\n'
                       '[voice.agents]\narchitect = "en-us+f3"\nnobody = "nope"\n')
    config = load_config(home)
    book = build_book(config.voice, list(load_catalog(config)), KNOWN, home.config)
    assert book.main.id == "en-gb+m3" and book.main.rate == 200
    assert book.voice_for("architect").id == "en-us+f3"
    assert book.sources["architect"] == "config.toml"
    assert any("[voice.agents] nobody: unknown voice 'nope'" in w for w in book.warnings)


def test_a_voice_setting_out_of_range_names_the_key_and_line(home: HomePaths) -> None:
    write_config(home, '[voice]\nenabled = true\n\n[voice.agents]\nx = {id = "en-us", rate = 9}\n')
    with pytest.raises(ConfigError) as caught:
        load_config(home)
    assert caught.value.line == 5 and caught.value.key == "voice.agents.x.rate"
    assert "between 80 and 450" in str(caught.value)
    write_config(home, '[voice]\nengine = "festival"\n')
    with pytest.raises(ConfigError, match="'pyttsx3' or 'espeak-ng' or 'command'"):
        load_config(home)


def test_voice_is_off_until_enabled() -> None:
    settings = VoiceSettings()
    assert settings.enabled is False and settings.answers and settings.permission
    assert isinstance(VoiceSpec("en-us").rate, int)
