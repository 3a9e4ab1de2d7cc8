"""Routing: slash commands always win, then the user's table in order, then PAI tables inside
SKILL.md, then BM25 scores with a confidence threshold (the model chooses only below it and only
when configured), else plain chat. Skills are real SKILL.md files loaded by the real index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.route_accuracy import accuracy, bundled_router, read_labels
from pai_tui.config import SkillsSettings, load_config
from pai_tui.paths import HomePaths
from pai_tui.skills.index import load_roots
from pai_tui.skills.router import RouteDecision, Router
from pai_tui.skills.routing_table import RoutingTable, bundled_table_path, load_table
from pai_tui.skills.text import stem, stems, words
from tests.conftest import write_config

SKILLS = {
    "summarize": "Condense text into a short summary. USE WHEN summarize, tl;dr, key points.",
    "red-team": "Attack an idea to find its flaws. USE WHEN red team, poke holes, critique.",
    "research": "Investigate a topic with sources. USE WHEN research, find sources, cite.",
    "first-principles": "Decompose a problem to fundamentals. USE WHEN first principles.",
}
TELOS = """---
name: Telos
description: Life goals and mission. USE WHEN telos, life goals, my mission.
---

# Telos

| Workflow | Trigger | File |
|----------|---------|------|
| **Update** | "add to TELOS", "update my goals" | `Workflows/Update.md` |
| **WriteReport** | "McKinsey report", "write report" | `Workflows/WriteReport.md` |
"""


def write_skill(root: Path, name: str, description: str) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    path = folder / "SKILL.md"
    path.write_text(f"---\nname: {name}\ndescription: {description}\n---\n\n# {name}\n",
                    encoding="utf-8")
    return path


@pytest.fixture
def skills_root(tmp_path: Path) -> Path:
    root = tmp_path / "skills"
    for name, description in SKILLS.items():
        write_skill(root, name, description)
    (root / "Telos").mkdir()
    (root / "Telos" / "SKILL.md").write_text(TELOS, encoding="utf-8")
    return root


def write_table(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "routing.toml"
    path.write_text(text, encoding="utf-8")
    return path


def make_router(skills_root: Path, table: RoutingTable | None = None,
                **settings: object) -> Router:
    empty = RoutingTable(Path("none.toml"))
    return Router(load_roots([skills_root]), table=table or empty,
                  settings=SkillsSettings(**settings))


# --- the routing table -------------------------------------------------------------------------

RULES = """\
# mine
[[rule]]
slash = "/tldr"
skill = "summarize"

[[rule]]
keywords = ["poke holes", "devil's advocate"]
skill = "red-team"

[[rule]]
keywords = ["quarterly", "report"]
match = "all"
skill = "research"
workflow = "deep"

[[rule]]
regex = '^\\s*why\\s+is\\s+(?P<text>.+)\\bso expensive'
skill = "first-principles"
tool = "calc"

[[rule]]
keywords = ["holes"]
skill = "summarize"
"""


def test_rules_of_each_kind_route_in_order(tmp_path: Path, skills_root: Path) -> None:
    path = write_table(tmp_path, RULES)
    router = make_router(skills_root, RoutingTable.read(path))
    assert router.findings == []

    alias = router.route("/tldr the meeting moved")
    assert (alias.skill, alias.how, alias.text) == ("summarize", "rule", "the meeting moved")
    assert f"{path}:2" in alias.reasons[0]

    # Rule 2 and rule 5 both match "holes": the earlier one wins.
    poke = router.route("please POKE HOLES in my plan")
    assert (poke.skill, poke.how) == ("red-team", "rule")
    assert poke.reasons[0].startswith(f"{path}:6: rule 2: matched keywords \"poke holes\"")
    assert router.route("play devil’s advocate").skill == "red-team"  # curly apostrophe

    # match = "all": both words needed, in any order, anywhere.
    both = router.route("the report for the quarterly review")
    assert (both.skill, both.workflow) == ("research", "deep")
    assert router.route("a report on cats").how != "rule"

    regex = router.route("Why is a rocket launch so expensive?")
    assert (regex.skill, regex.tool, regex.text) == ("first-principles", "calc", "a rocket launch")
    assert f"{path}:16: rule 4: matched regex" in regex.reasons[0]


def test_keywords_match_whole_words_after_stemming(tmp_path: Path, skills_root: Path) -> None:
    path = write_table(tmp_path, '[[rule]]\nkeywords = ["summarize this"]\nskill = "summarize"\n')
    router = make_router(skills_root, RoutingTable.read(path))
    assert router.route("Summarise this, please").skill == "summarize"
    assert router.route("summarizing this thread").skill == "summarize"
    assert router.route("summarizethis").how != "rule"  # whole words only
    assert stem("summarise") == stem("summarize") == stem("summary") == stem("summaries")
    assert stems("Red-teaming the plan") == stems("red teaming the plans")


BAD_TABLES = [
    # (content, line, words in the message)
    ('[[rule]]\nskill = "summarize"\nregex = "(unclosed"\n', 3,
     "rule 1, field 'regex': bad regular expression '(unclosed': missing ), unterminated "
     "subpattern at position 0"),
    ('[[rule]]\nslash = "/a"\nskill = "summarize"\n\n[[rule]]\nkeywords = ["x"]\n'
     'skil = "summarize"\n', 7, "rule 2, field 'skil': unknown field (known: slash, keywords"),
    ('[[rule]]\nkeywords = ["x"]\n', 1, "rule 1: missing field 'skill'"),
    ('[[rule]]\nkeywords = ["x"]\nregex = "x"\nskill = "summarize"\n', 3,
     "rule 1, field 'regex': needs exactly one of slash, keywords, regex (found: keywords, "
     "regex)"),
    ('[[rule]]\nskill = "summarize"\n', 1, "rule 1: needs exactly one of slash, keywords, regex"),
    ('[[rule]]\nkeywords = "x"\nskill = "summarize"\n', 2,
     "rule 1, field 'keywords': must be a non-empty array of strings"),
    ('[[rule]]\nkeywords = ["x"]\nmatch = "most"\nskill = "summarize"\n', 3,
     "rule 1, field 'match': must be \"any\" or \"all\", not 'most'"),
    ('[[rule]]\nregex = "x"\nmatch = "all"\nskill = "summarize"\n', 3,
     "rule 1, field 'match': applies only to a keywords rule"),
    ('[[rule]]\nkeywords = ["!!"]\nskill = "summarize"\n', 2, "the keyword '!!' has no words"),
    ('[[rule]]\nslash = "red team"\nskill = "red-team"\n', 2,
     "rule 1, field 'slash': 'red team' is not a command like \"/redteam\""),
    ('[[rule]]\nkeywords = ["x"]\nskill = 3\n', 3,
     "rule 1, field 'skill': must be a non-empty string"),
    ('threshold = 0.3\n', 1, "unknown key 'threshold'"),
    ('rule = "x"\n', 1, "'rule' must be written as [[rule]] tables"),
    ('[[rule]]\nkeywords = ["x"\nskill = "summarize"\n', 3, "invalid TOML"),
]


@pytest.mark.parametrize(("content", "line", "words"), BAD_TABLES)
def test_bad_table_names_file_line_and_rule(tmp_path: Path, content: str, line: int,
                                            words: str) -> None:
    path = write_table(tmp_path, content)
    table = RoutingTable.read(path)
    assert len(table.findings) == 1
    finding = table.findings[0]
    assert (finding.path, finding.line, finding.severity) == (path, line, "error")
    assert words in finding.message
    assert str(finding).startswith(f"{path}:{line}: ")


def test_one_bad_rule_never_stops_the_others(tmp_path: Path, skills_root: Path) -> None:
    path = write_table(tmp_path, '[[rule]]\nregex = "[oops"\nskill = "summarize"\n\n'
                                 '[[rule]]\nkeywords = ["poke holes"]\nskill = "red-team"\n')
    router = make_router(skills_root, RoutingTable.read(path))
    assert [f.line for f in router.findings] == [2]
    assert router.route("poke holes in it").skill == "red-team"


def test_rule_for_a_skill_not_installed_is_skipped_with_a_warning(tmp_path: Path,
                                                                  skills_root: Path) -> None:
    path = write_table(tmp_path, '[[rule]]\nkeywords = ["invoice"]\nskill = "billing"\n\n'
                                 '[[rule]]\nslash = "/bill"\nskill = "billing"\n\n'
                                 '[[rule]]\nkeywords = ["invoice"]\nskill = "Research"\n')
    router = make_router(skills_root, RoutingTable.read(path))
    assert [(f.line, f.severity) for f in router.findings] == [(1, "warning"), (5, "warning")]
    assert "rule 1: skill 'billing' is not installed; rule skipped" in str(router.findings[0])
    assert router.route("where is my invoice").skill == "research"  # rule 3, any case
    assert router.route("/bill now").error == "no skill named bill"


# --- PAI tables inside SKILL.md ------------------------------------------------------------------

def test_pai_table_rows_route_to_their_workflow(tmp_path: Path, skills_root: Path) -> None:
    router = make_router(skills_root)
    decision = router.route("can you update my goals: run a marathon")
    assert (decision.skill, decision.how, decision.workflow) == ("Telos", "table", "Update")
    telos = skills_root / "Telos" / "SKILL.md"
    assert decision.reasons[0].startswith(f"{telos}:10: table row 'Update': matched keywords "
                                          f"\"update my goals\"")
    assert router.route("Write a McKinsey report on AI").workflow == "WriteReport"


def test_a_skill_chosen_without_a_workflow_gets_one_from_its_table(
        tmp_path: Path, skills_root: Path) -> None:
    path = write_table(tmp_path, '[[rule]]\nregex = "^telos:"\nskill = "telos"\n\n'
                                 '[[rule]]\nslash = "/t"\nskill = "telos"\ntool = "telos"\n')
    router = make_router(skills_root, RoutingTable.read(path))
    telos = skills_root / "Telos" / "SKILL.md"
    by_slash = router.route("/telos please update my goals")
    assert (by_slash.how, by_slash.workflow) == ("slash", "Update")
    assert by_slash.reasons[1] == (f"workflow from {telos}:10: table row 'Update': matched "
                                   f"keywords \"update my goals\"")
    by_rule = router.route("telos: write report for Acme")
    assert (by_rule.how, by_rule.workflow) == ("rule", "WriteReport")
    assert router.route("/telos show me everything").workflow is None  # no row matches
    assert router.route("/t update my goals").workflow is None  # a tool runs directly


def test_the_users_rules_come_before_table_rows(tmp_path: Path, skills_root: Path) -> None:
    path = write_table(tmp_path, '[[rule]]\nkeywords = ["report"]\nskill = "research"\n')
    router = make_router(skills_root, RoutingTable.read(path))
    assert router.route("write report for me").skill == "research"


# --- slash commands ------------------------------------------------------------------------------

def test_slash_always_runs_the_named_skill(tmp_path: Path, skills_root: Path) -> None:
    path = write_table(tmp_path, '[[rule]]\nkeywords = ["poke holes"]\nskill = "red-team"\n')
    router = make_router(skills_root, RoutingTable.read(path))
    decision = router.route("/summarize poke holes in this")
    assert (decision.skill, decision.how, decision.text) == ("summarize", "slash",
                                                             "poke holes in this")
    assert router.route("/First_Principles").skill == "first-principles"
    assert router.route("/telos add goals").skill == "Telos"
    multi = router.route("/research\nline one\nline two")
    assert multi.text == "line one\nline two"


def test_unknown_slash_says_so_and_suggests_close_names(skills_root: Path) -> None:
    decision = make_router(skills_root).route("/sumarize this text")
    assert decision.skill is None and decision.how == "slash"
    assert decision.error == "no skill named sumarize; did you mean /summarize?"
    assert decision.explain() == "error: no skill named sumarize; did you mean /summarize?"
    far = make_router(skills_root).route("/zzz")
    assert far.error == "no skill named zzz"


def test_a_path_is_not_a_slash_command(skills_root: Path) -> None:
    decision = make_router(skills_root).route("/usr/bin/python crashes, why?")
    assert decision.how == "chat" and decision.error is None


# --- scores --------------------------------------------------------------------------------------

def test_confident_score_picks_the_skill(skills_root: Path) -> None:
    decision = make_router(skills_root).route("critique my plan, find the flaws")
    assert (decision.skill, decision.how) == ("red-team", "score")
    assert decision.confidence is not None and decision.confidence >= 0.5
    assert decision.scores[0][0] == "red-team"
    assert "best score red-team" in decision.reasons[0]


def test_below_the_threshold_is_plain_chat(skills_root: Path) -> None:
    text = "my research paper got rejected and I feel terrible about it"
    decision = make_router(skills_root).route(text)
    assert (decision.skill, decision.how) == (None, "chat")
    assert decision.scores[0][0] == "research"  # it scored, but not enough
    assert decision.confidence is not None and decision.confidence < 0.5
    assert "< threshold 0.50; model routing is off" in decision.reasons[0]
    lowered = make_router(skills_root, threshold=0.05).route(text)
    assert (lowered.skill, lowered.how) == ("research", "score")


def test_model_chooses_among_candidates_only_below_threshold(skills_root: Path) -> None:
    router = make_router(skills_root, model_routing=True)
    unsure = router.route("can you research and critique this paper")
    assert (unsure.skill, unsure.how) == (None, "model")
    assert set(unsure.candidates) == {"research", "red-team"}
    assert "model routing is on" in unsure.reasons[0]
    assert router.route("critique my plan, find the flaws").how == "score"
    nothing = router.route("hello there")
    assert (nothing.how, nothing.candidates) == ("chat", ())


def test_questions_about_a_skill_word_stay_plain_chat(skills_root: Path) -> None:
    router = make_router(skills_root)
    assert router.route("what does red team mean?").how == "chat"
    assert router.route("red team critique").skill == "red-team"


def test_a_frame_of_word_classes_asks_for_its_skill(tmp_path: Path) -> None:
    """Frames catch the paraphrases a list of phrases cannot: any word of each class, in a
    sentence that asks; a statement or a question about the world holding them does not."""
    root = tmp_path / "skills"
    path = write_skill(root, "gardener", "Plan a vegetable garden. USE WHEN plan my garden.")
    text = path.read_text(encoding="utf-8").replace(
        "---\n\n", 'metadata:\n  frames: "my our + tomatoes beans + wilting dying"\n---\n\n')
    path.write_text(text, encoding="utf-8")
    router = make_router(root)
    asked = router.route("are our tomatoes wilting from the heat?")
    assert (asked.skill, asked.how) == ("gardener", "score")
    assert 'its frame "my our + beans tomatoes + dying wilting"' in asked.reasons[0]
    assert router.route("our beans were dying last summer").skill is None
    assert router.route("are the tomatoes wilting?").skill is None  # no word of "my our"


# --- evidence: a score is not a request --------------------------------------------------------

def test_a_short_message_sharing_one_word_with_a_skill_is_plain_chat() -> None:
    """The cases found when the app's chat tests started routing: "question" is a word of
    first-principles, "red" one of red-team (here inside markup and colour codes)."""
    router = bundled_router()
    alpha = router.route("alpha question")
    assert (alpha.skill, alpha.how) == (None, "chat")
    assert alpha.scores[0][0] == "first-principles"  # it scored: the evidence rule said no
    assert alpha.reasons[0].endswith("but a message of 2 content words needs a trigger phrase of "
                                     "first-principles and has none (only its word \"question\")")
    red = router.route("[bold red]not bold[/] \x1b[31mred\x1b[0m")
    assert (red.skill, red.how) == (None, "chat")
    assert words("[bold red]not bold[/] \x1b[31mred\x1b[0m") == ["not", "bold", "red"]
    assert words("\x1b]0;title\x07[green]done[/green], see [the notes](x)") == [
        "done", "see", "the", "notes", "x"]  # a Markdown link keeps its text


def test_a_skill_needs_a_trigger_or_two_of_its_words(skills_root: Path) -> None:
    router = make_router(skills_root, threshold=0.05)  # the evidence rule alone decides
    one = router.route("these flaws in the design worry everyone")
    assert (one.skill, one.how) == (None, "chat")
    assert one.reasons[0].endswith("the message has no trigger phrase of red-team and only its "
                                   "word \"flaws\": one word (or the skill's name) in common is "
                                   "not a request for it")
    two = router.route("find flaws in this idea quickly")
    assert (two.skill, two.how) == ("red-team", "score")
    assert two.reasons[1] == 'evidence: "flaws", "idea", distinctive words of red-team'
    trigger = router.route("critique")
    assert (trigger.skill, trigger.reasons[1]) == (
        "red-team", 'evidence: trigger phrase "critique" of red-team')
    short = router.route("idea flaws")  # two of its words, but two words need a trigger
    assert (short.skill, short.how) == (None, "chat")
    assert "a message of 2 content words needs a trigger phrase of red-team" in short.reasons[0]
    # Model routing does not ask the model about a message that asks for no skill.
    assert make_router(skills_root, model_routing=True).route("flaws").how == "chat"


def test_a_one_word_trigger_is_the_word_as_typed_and_not_after_an_article(
        skills_root: Path) -> None:
    router = make_router(skills_root, threshold=0.05)
    assert router.route("summarize the minutes from today").skill == "summarize"
    assert router.route("that summary was long").skill is None  # "summary" is not "summarize"
    assert router.route("critiques of the plan from several people").skill == "red-team"  # plural
    assert router.route("research tea prices").skill == "research"
    noun = router.route("the research on tea prices")
    assert noun.skill is None
    assert "no trigger phrase of research" in noun.reasons[0]


def test_a_skills_name_counts_once_and_common_words_not_at_all(tmp_path: Path,
                                                               skills_root: Path) -> None:
    write_skill(skills_root, "code-review", "Review a pull request for bugs and style. "
                                            "USE WHEN review my pull request.")
    router = make_router(skills_root, threshold=0.05)
    named = router.route("the code review went well yesterday")
    assert named.skill is None
    assert 'only its name "code review"' in named.reasons[0]
    assert router.route("code review this diff for bugs").skill == "code-review"
    # "find" is a word of red-team and of research: of a third of the 6 skills, no evidence.
    common = router.route("find flaws, honestly")
    assert common.skill is None
    assert '("find" is a word of 2 of the 6 skills, too common to count)' in common.reasons[0]


def test_a_phrasal_verb_trigger_lets_its_object_in_between() -> None:
    decision = bundled_router().route("sum this up")
    assert (decision.skill, decision.how) == ("summarize", "score")
    assert decision.reasons[1] == 'evidence: trigger phrase "sum up" of summarize'


def test_a_long_paste_is_routed_by_its_request(skills_root: Path) -> None:
    paste = " ".join(["The council voted on the budget for parks and transit."] * 30)
    router = make_router(skills_root)
    assert router.route(f"{paste}\n\ntl;dr key points please").skill == "summarize"
    assert router.route(f"Condense into a summary: {paste}").skill == "summarize"


# --- completion, JSON, explanation ----------------------------------------------------------------

def test_completions_list_skills_and_slash_rules(tmp_path: Path, skills_root: Path) -> None:
    path = write_table(tmp_path, '[[rule]]\nslash = "/redteam"\nskill = "red-team"\n')
    router = make_router(skills_root, RoutingTable.read(path))
    assert router.completions("/re") == ["/red-team", "/redteam", "/research"]
    assert router.completions("FIRST_") == ["/first-principles"]
    assert router.completions("/") == sorted(router.completions("/"))
    assert len(router.completions("/")) == 6
    assert router.completions("/x") == []


def test_to_json_is_one_object_with_the_skill_or_null(skills_root: Path) -> None:
    router = make_router(skills_root)
    chosen = json.loads(json.dumps(router.route("critique my plan, find the flaws").to_json()))
    assert set(chosen) == {"skill", "how", "workflow", "tool", "reasons", "scores", "confidence",
                           "threshold", "candidates", "error"}
    assert chosen["skill"] == "red-team" and chosen["how"] == "score"
    assert chosen["scores"][0]["skill"] == "red-team" and chosen["scores"][0]["score"] > 0
    chat = json.loads(json.dumps(router.route("hi").to_json()))
    assert chat["skill"] is None and chat["how"] == "chat" and chat["reasons"]


def test_explain_shows_the_score_table(skills_root: Path) -> None:
    text = make_router(skills_root).route("critique my plan, find the flaws").explain()
    lines = text.splitlines()
    assert lines[0] == "red-team (score)"
    assert "score table (BM25):" in text
    assert lines[-1].split()[0] in SKILLS
    plain = RouteDecision(None, "chat", "hi", reasons=("plain chat: no words",)).explain()
    assert plain == "plain chat\n  plain chat: no words"


# --- which table ----------------------------------------------------------------------------------

def test_the_users_table_replaces_the_bundled_one(home: HomePaths, skills_root: Path) -> None:
    assert load_table(home).path == bundled_table_path()
    assert make_router(skills_root, load_table(home)).route("/tldr x").skill == "summarize"
    home.root.mkdir(parents=True)
    mine = home.root / "routing.toml"
    mine.write_text('[[rule]]\nslash = "/s"\nskill = "summarize"\n', encoding="utf-8")
    table = load_table(home)
    assert table.path == mine
    router = make_router(skills_root, table)
    assert router.route("/s x").skill == "summarize"
    assert router.route("/tldr x").error is not None  # the bundled alias is gone


def test_router_takes_its_table_and_settings_from_the_config(home: HomePaths,
                                                             skills_root: Path) -> None:
    write_config(home, "[skills]\nthreshold = 0.05\n")
    (home.root / "routing.toml").write_text('[[rule]]\nslash = "/s"\nskill = "summarize"\n',
                                            encoding="utf-8")
    router = Router(load_roots([skills_root]), load_config(home))
    assert router.route("/s x").skill == "summarize"
    assert router.route("my research paper got rejected").skill == "research"  # low threshold


@pytest.mark.parametrize(("content", "line", "words"), [
    (b"[[rule]\n", 1, "invalid TOML"),
    (b'[[rule]]\nkeywords = ["caf\xe9"]\n', None, "not UTF-8 text"),
])
def test_an_unreadable_user_table_falls_back_to_the_bundled_one(
        home: HomePaths, content: bytes, line: int | None, words: str) -> None:
    home.root.mkdir(parents=True)
    mine = home.root / "routing.toml"
    mine.write_bytes(content)
    table = load_table(home)
    assert table.path == bundled_table_path()
    assert table.rules
    first, last = table.findings[0], table.findings[-1]
    assert (first.path, first.line, first.severity) == (mine, line, "error")
    assert words in first.message
    assert str(last) == f"{mine}: this routing table cannot be read; using the bundled one instead"


def test_the_bundled_table_is_clean_against_the_bundled_skills() -> None:
    router = bundled_router()
    assert router.findings == []
    assert router.table.path == bundled_table_path()


# --- the labelled set --------------------------------------------------------------------------

def test_routing_accuracy_over_the_labelled_set_meets_the_target() -> None:
    labels = read_labels()
    assert len(labels) >= 200
    score, misses = accuracy(bundled_router(), labels)
    shown = "\n".join(f"{label.expected} <- {got}: {label.message[:60]}"
                      for label, got, _ in misses)
    assert score >= 0.95, f"accuracy {score:.1%}; misses:\n{shown}"
