"""Words as the router reads them: typos of the skills' words are read as those words, and only
those (a real word one letter from a skill's word means itself); agent nouns are not their verbs;
a command opens with its verb. Sentences here are in neither labelled set."""

from __future__ import annotations

import pytest

from benchmarks.route_accuracy import HOLDOUT, bundled_router, read_labels
from pai_tui.skills.typos import one_typo


def test_no_test_sentence_is_in_a_labelled_set() -> None:
    labelled = {label.message.lower() for label in [*read_labels(), *read_labels(HOLDOUT)]}
    assert not labelled & {sentence.lower() for sentence, _ in ROUTED}


ROUTED = [
    ("summerize this changelog for the team: fixed login, added export", "summarize"),
    ("pls make a skil that renames my photos by date", "create-skill"),
    ("reserach how tidal energy compares to offshore wind, with sources", "research"),
    ("the summers here never get hot enough to swim", None),
    ("never mind, I sorted it out myself", None),
]


@pytest.mark.parametrize(("message", "skill"), ROUTED)
def test_typos_of_skill_words_route_and_real_words_stay(message: str, skill: str | None) -> None:
    assert bundled_router().route(message).skill == skill


@pytest.mark.parametrize(("typed", "known", "typo"), [
    ("skil", "skill", True),  # a doubled letter missing
    ("reed", "red", False),  # a short real word with a letter extra
    ("never", "ever", False),
    ("frist", "first", True),  # neighbours swapped
    ("summerize", "summarize", True),  # a changed letter in a long word
    ("thank", "think", False),  # ...not in a short one
])
def test_what_counts_as_one_typo_depends_on_length(typed: str, known: str, typo: bool) -> None:
    assert one_typo(typed, known) is typo


@pytest.mark.parametrize(("message", "skill"), [
    ("could you research how cities price congestion", "research"),  # opens with the verb
    ("which apps do researchers use for lab notebooks?", None),  # an agent noun is no verb
    ("our event planner booked the wrong hall", None),
])
def test_a_command_opens_with_its_verb_and_agent_nouns_are_other_words(
        message: str, skill: str | None) -> None:
    assert bundled_router().route(message).skill == skill


@pytest.mark.parametrize(("message", "skill"), [
    ("the devil's advocate on my cousin's debate squad never loses", None),  # a long subject
    ("play devil's advocate on my plan to move to Berlin", "red-team"),
])
def test_a_statement_with_a_long_subject_only_mentions(message: str, skill: str | None) -> None:
    assert bundled_router().route(message).skill == skill


@pytest.mark.parametrize(("message", "skill"), [
    ("we're redoing the kitchen from scratch this spring", None),
    ("we'll break it down from first principles at the offsite", None),
])
def test_a_contraction_is_not_read_as_another_word(message: str, skill: str | None) -> None:
    """Without its apostrophe "we're" would be "were", which opens a question, and "we'll"
    "well", a filler: the statement would read as a question or a command."""
    assert bundled_router().route(message).skill == skill


def test_an_ordinal_in_digits_is_its_word() -> None:
    assert bundled_router().route("use 1st principles on my grocery bill").skill \
        == "first-principles"
