"""Asked or mentioned: a skill's phrase in a statement or in a question about a word is plain
chat, the same phrase in a request routes; typos inside a phrase still match. With the bundled
skills and routing table, as a user meets them."""

from __future__ import annotations

import pytest

from benchmarks.route_accuracy import bundled_router
from pai_tui.skills.mood import is_fact_question, is_request, is_statement, mentions
from pai_tui.skills.router import Router
from pai_tui.skills.text import Clause, clauses, sentence_clauses, words


@pytest.fixture(scope="module")
def router() -> Router:
    return bundled_router()


@pytest.mark.parametrize(("asked", "mentioned"), [
    ("write a design doc for the caching layer", "the design doc review went well today"),
    ("play devil's advocate on my plan to move abroad",
     "my friend always plays devil's advocate and it's annoying"),
    ("tldr this thread please", "what does tldr mean in emails?"),
    ("break this down from first principles: why are flights so cheap",
     "what are first principles in physics?"),
    ("do some research into heat pumps", "when did the research into mRNA vaccines begin?"),
])
def test_a_phrase_routes_when_asked_and_not_when_mentioned(router: Router, asked: str,
                                                           mentioned: str) -> None:
    assert router.route(asked).skill is not None
    decision = router.route(mentioned)
    assert (decision.skill, decision.how) == (None, "chat")
    assert decision.reasons[-1].endswith("is mentioned, not asked for")


def test_a_request_elsewhere_in_the_sentence_keeps_the_phrase(router: Router) -> None:
    assert router.route("my skill isn't loading, can you validate it?").skill == "create-skill"
    assert router.route("my skill isn't loading, it's weird").skill is None


def test_a_how_to_question_is_plain_chat(router: Router) -> None:
    assert router.route("how do I draw a line in matplotlib?").skill is None
    assert router.route("how to make a mind map on paper").skill is None
    assert router.route("make a mind map of my reading list").skill == "art"


def test_a_statement_lowers_the_scorers_confidence(router: Router) -> None:
    decision = router.route("our red team exercise revealed some phishing weaknesses")
    assert (decision.skill, decision.how) == (None, "chat")
    assert "the sentence only mentions skills' words" in decision.reasons[0]


def test_questions_about_the_users_own_things_are_requests(router: Router) -> None:
    assert router.route("what are my goals?").skill == "telos"
    assert router.route("how's my progress on my goals going?").skill == "telos"
    assert router.route("what are the goals of the UN sustainable development goals?").skill \
        is None


def test_a_typo_inside_a_phrase_still_matches(router: Router) -> None:
    decision = router.route("write an implemntation plan for search indexing")
    assert (decision.skill, decision.how, decision.workflow) == ("development", "table", "Spec")
    assert router.route("critque my startup idea brutally").skill == "red-team"


def test_a_question_asking_advice_or_a_fact_is_plain_chat(router: Router) -> None:
    assert router.route("what should I draw for my art class?").skill is None
    assert router.route("where can I find sources for free stock photos?").skill is None
    assert router.route("how many words are in the English language?").skill is None
    assert router.route("how many words are in this paragraph? It is short.").skill == "summarize"


def test_a_phrase_without_a_verb_takes_the_mood_of_its_sentence(router: Router) -> None:
    assert router.route("in a nutshell, I'm tired").skill is None
    assert router.route("in a nutshell please: the board approved the budget").skill == \
        "summarize"


@pytest.mark.parametrize("text", [
    "translate this summary into German: the meeting moved to Friday",
    "could you proofread my summary? The book follows a girl who moves to Paris.",
    "write a poem about reaching my goals",
    "write a function to summarize a list of numbers in Python",
    "show me an example of a sequence diagram in UML",
    "what do you think about first principles thinking?",
    "why does my diagram look blurry when I export it?",
])
def test_chats_own_tasks_and_questions_on_a_skills_words_are_plain_chat(
        router: Router, text: str) -> None:
    assert router.route(text).skill is None


def test_a_why_question_that_is_the_trigger_still_asks(router: Router) -> None:
    assert router.route("why will this fail? we launch with no marketing").skill == "red-team"


def test_a_labelled_list_and_a_question_naming_a_thing_are_plain_chat(router: Router) -> None:
    """ "my goals for today: X" says what the goals are; "tasks for a wedding planner?" asks
    about a thing. Neither asks for telos or development."""
    assert router.route("my goals for today: laundry and groceries").skill is None
    assert router.route("tasks for a wedding planner?").skill is None
    assert router.route("what are my goals for this year?").skill == "telos"
    assert router.route("tldr?").skill == "summarize"


def test_a_mention_alone_never_reaches_the_default_threshold(router: Router) -> None:
    decision = router.route("the flowchart editor crashed twice today")
    assert decision.skill is None
    assert decision.confidence is not None and decision.confidence < 0.5


def test_a_noun_trigger_after_a_verb_of_making_is_asked_for(router: Router) -> None:
    made = router.route("make a flowchart for the refund process")
    assert (made.skill, made.how) == ("art", "score")
    assert made.reasons[1] == 'evidence: trigger phrase "flowchart" of art'
    assert router.route("the flowchart is wrong again").skill is None
    assert router.route("give me a recap of the thread").skill == "summarize"


def test_a_trigger_phrase_lets_its_words_sit_apart_and_outweighs_the_topic(
        router: Router) -> None:
    """"find sources" in "find reliable sources about...": with a trigger phrase of two words or
    more, the topic's words (which no skill knows) count a quarter of their weight."""
    decision = router.route("find reliable sources about the health effects of sitting all day")
    assert (decision.skill, decision.how) == ("research", "score")
    assert "with a trigger phrase, words no skill knows count x0.25" in decision.reasons[0]
    assert decision.reasons[1] == 'evidence: trigger phrase "find sources" of research'


# --- the clause reader --------------------------------------------------------------------------

def test_clauses_split_at_punctuation_before_a_space_only() -> None:
    text = "my diagram in draw.io won't export, help! it has 1,000 nodes"
    assert sentence_clauses(text) == [
        [Clause(["my", "diagram", "in", "draw", "io", "wont", "export"], ","),
         Clause(["help"], "!")], [Clause(["it", "has", "1", "000", "nodes"], "")]]
    assert [word for clause in clauses(text) for word in clause.words] == words(text)


@pytest.mark.parametrize(("text", "statement"), [
    ("I summarized the book yesterday", True),
    ("our security team found three bugs", True),
    ("learning a new skill at 40 is hard", True),
    ("git says my branch diverged", True),
    ("summarize the book", False),
    ("key points from this report", False),
    ("check that my skill is valid", False),
    ("tell me what is wrong with my plan", False),
    ("a well sourced overview of batteries", False),
    ("do some research on tea", False),
])
def test_a_statement_opens_with_its_subject_and_has_a_verb(text: str, statement: bool) -> None:
    assert is_statement(words(text)) is statement


@pytest.mark.parametrize(("text", "asks"), [
    ("can you validate it", True), ("I'd like a poster", True), ("we need a spec", True),
    ("tl;dr pls", True), ("I'm looking for sources", True), ("I love drawing", False),
])
def test_requests_are_recognised_by_their_cues(text: str, asks: bool) -> None:
    assert is_request(words(text)) is asks


def test_a_question_about_a_word_or_the_world_is_a_fact_question() -> None:
    assert is_fact_question(words("is math a fundamental truth?"))
    assert is_fact_question(words("what did Aristotle say about first principles"))
    assert is_fact_question(words("what is a mind map"), at=3)
    assert is_fact_question(words("what is a mind map"), at=None)  # the scorer's reading
    assert not is_fact_question(words("what is the mind map here about"), at=None)
    assert not is_fact_question(words("what are the fundamental truths behind it"), at=3)
    assert not is_fact_question(words("what did I say about the budget"))
    assert not is_fact_question(words("how many words is this essay"))
    assert mentions(words("my task list is long")) and not mentions(words("task list for X"))


@pytest.mark.parametrize("message", [
    "stop poking holes in everything I say",
    "never play devil's advocate with my mom",
    "please don't summarize it, just fix the typos",
])
def test_a_command_not_to_do_it_is_plain_chat(router: Router, message: str) -> None:
    assert router.route(message).skill is None
    assert router.route("poke holes in my plan to sell honey online").skill == "red-team"


@pytest.mark.parametrize(("message", "skill"), [
    ("the gist: we're moving offices", None),
    ("bottom line: I'm broke", None),
    ("tl;dr we won the cup and I scored twice", None),
    ("tldr I finally fixed the leaky tap!", None),
    ("tl;dr: The council approved the budget after a long debate. Parks get 5% more, roads 3% "
     "less, and the library opens on Sundays from March.", "summarize"),
    ("red team: we launch in Japan first", "red-team"),
    ("devil's advocate: we should ban cars downtown", "red-team"),
    ("new goal: run a marathon", "telos"),
])
def test_a_heading_over_the_users_own_short_news_is_plain_chat(router: Router, message: str,
                                                               skill: str | None) -> None:
    """ "short version: I'm moving" tells a summary, it does not ask for one; a heading that
    names a skill, news that proposes something to weigh, or a long text under it asks."""
    assert router.route(message).skill == skill


@pytest.mark.parametrize(("message", "skill"), [
    ("pls recall from my recordings what the plumber quoted for the boiler", "lifelog"),
    ("I need a logo idea for my food truck named Taco Tuesday", "art"),
    ("collect references on ocean acidification and oyster farms", "research"),
    ("what could go wrong with a soufflé in a cold oven?", None),
])
def test_a_trigger_phrase_a_clause_asks_for_routes_whatever_its_topic(
        router: Router, message: str, skill: str | None) -> None:
    """The words around a trigger phrase that opens a command (or sits in "I need...") are what
    the skill works on: however many the skills do not know, the request stands. A question
    opening with a trigger ("what could go wrong with...") does not ask for the skill."""
    assert router.route(message).skill == skill


def test_an_article_inside_a_table_phrase_does_not_hide_it(router: Router) -> None:
    """ "what do the studies say" is the research row's "what do studies say"."""
    decision = router.route("what do the studies say about standing desks and back pain?")
    assert (decision.skill, decision.how) == ("research", "table")


def test_what_is_x_asks_about_the_world_unless_it_points_at_the_users_text(
        router: Router) -> None:
    assert router.route("what's the usual size of a mind map poster?").skill is None
    assert router.route("what's the key point here? it's a long email from my boss about "
                        "budgets").skill == "summarize"


@pytest.mark.parametrize(("message", "skill"), [
    ("diagrm the steps of our release process", "art"),
    ("visualize our sales funnel from ad click to renewal", "art"),
    ("research and marketing budgets were cut", None),
    ("condense the sauce for ten minutes, then add butter", None),
])
def test_a_one_word_trigger_as_the_commands_verb_routes(router: Router, message: str,
                                                        skill: str | None) -> None:
    """ "visualize X" asks for art whatever X is; "research and marketing budgets" is a noun,
    and a sentence of several commands is a procedure the user describes (a recipe)."""
    assert router.route(message).skill == skill


@pytest.mark.parametrize(("message", "skill"), [
    ("could our pricing strategy fail in a recession?", "red-team"),
    ("my startup failed last year and I'm still sad", None),
    ("why did my business fail?", None),
    ("what have experts found about intermittent fasting?", "research"),
    ("experts agree that sleep matters", None),
    ("what did we decide in our meeting recordings last week?", "lifelog"),
    ("how long would my essay take to read aloud?", "summarize"),
    ("how long does it take to read the Bible?", None),
])
def test_the_bundled_frames_read_paraphrases_that_ask(router: Router, message: str,
                                                      skill: str | None) -> None:
    assert router.route(message).skill == skill


@pytest.mark.parametrize(("message", "skill"), [
    ("what are the blind spots in our churn analysis?", "red-team"),
    ("did my mom mention the blind spots in her car?", None),
    ("what are the blind spots of a truck?", None),
])
def test_a_question_about_the_users_own_things_asks_for_its_trigger(
        router: Router, message: str, skill: str | None) -> None:
    assert router.route(message).skill == skill


@pytest.mark.parametrize(("message", "skill"), [
    ("how do I make a skill for pai that tracks habits?", "create-skill"),
    ("how do I update pai to the latest version?", None),
    ("how do I make a skill tree in my game?", None),
])
def test_a_how_to_question_about_pai_itself_is_for_its_skills(router: Router, message: str,
                                                              skill: str | None) -> None:
    assert router.route(message).skill == skill


def test_what_did_i_say_is_a_recall_only_about_something(router: Router) -> None:
    """Recall reads "what did I say about/to/in my..."; "what did I say wrong?" is about the
    words at hand."""
    assert router.route("what did I say about the roof in my voice notes?").skill == "lifelog"
    assert router.route("what did I say wrong just now?").skill is None


def test_a_trigger_of_common_words_still_counts(router: Router) -> None:
    """ "know for sure" is all stopwords, but three of them make a phrase."""
    assert router.route("what do we know for sure about why the tests got slower?").skill \
        == "first-principles"
    assert router.route("I don't know for sure if I can make it").skill is None


@pytest.mark.parametrize(("message", "skill"), [
    ("in my voice notes, what did the plumber quote for the boiler?", "lifelog"),
    ("my long-term goals — do they still make sense after the move?", "telos"),
    ("in my research paper, how do I cite a website?", None),
    ("my goals — what's the best app to track them?", None),
])
def test_a_phrase_naming_the_users_things_makes_the_question_theirs(
        router: Router, message: str, skill: str | None) -> None:
    """ "in my transcripts, what did Sam promise?" asks about the user's records, not the world;
    a dash ends a clause like a comma. A how-to or an advice question stays chat's."""
    assert router.route(message).skill == skill


def test_a_yes_no_question_about_an_event_stays_chat(router: Router) -> None:
    assert router.route("my voice memos — did they sync to the cloud?").skill is None
