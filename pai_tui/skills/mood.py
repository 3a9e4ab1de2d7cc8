"""Asked or mentioned: whether the clause around a skill's words asks for the skill.

A skill's phrase is no request in a statement ("the red team won the match", "I summarized the
book yesterday", "my research advisor is away") nor in a question about a word or a fact ("what
does tldr mean?", "is math a fundamental truth?", "when did the research into vaccines begin?").
It is one in an imperative ("poke holes in my plan"), a fragment ("tl;dr pls"), a request ("can
you...", "I need...") and a question about the user's own things or the text at hand ("what are
my goals?", "how long would this take to read?"). Read without a parser, from the clause's
first words: a statement opens with its subject (a pronoun, a determiner, a gerund) and has a
verb after it; an imperative opens with its verb.

The router skips a skill's table row whose phrase sits in a mentioning clause, and the scorer
lowers its confidence for a sentence that only mentions (see `pai_tui.skills.router`).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from itertools import accumulate, pairwise

from pai_tui.skills.text import (
    CHAT_MARKERS,
    QUESTION_OPENERS,
    Clause,
    singular,
    word_set,
)

# Words that open a clause without changing its mood: "ok so the red team won".
FILLERS = word_set("so well ok okay oh and but also honestly btw anyway yeah yes hmm then now")
# A clause opening with one of these has it as its subject ("it's" and "I'm" lose their
# apostrophe: "its", "im").
PRONOUNS = word_set("i we he she they it im ive weve theyre theyve hes shes its id")
DETERMINERS = word_set("the a an my our his her their your this that these those some every no")
POSSESSIVES = word_set("my our his her their your")
# The user's own things: a question holding one asks about them, not about the world.
FIRST_PERSON = word_set("i me my mine myself we us our ours im ive id")
# The text at hand: "how many words is this?", "the gist of the following".
AT_HAND = word_set("this these following below above attached here")
# Finite verbs that need no lexicon: be, have, do, modals and common irregular pasts.
FINITE = word_set("""
am is are was were isnt arent wasnt werent has have had hasnt havent hadnt does did doesnt didnt
can cant cannot could couldnt will wont would wouldnt should shouldnt must might may
went got won lost took made found came ran wrote drew gave began left sent spent felt kept told
said thought brought bought sold saw heard held fell grew knew met paid became built caught
broke chose taught threw understood forgot led meant rose
always never usually often sometimes already finally
says seems sounds looks feels keeps goes gets makes takes wants needs shows works gives knows
say show suggest claim agree believe
""")
# Subordinators: a verb after one belongs to a clause inside the request ("tell me what is...").
SUBORDINATORS = word_set("what whats why how who when where which whether if that than")
# Modifiers before a past participle used as an adjective ("a well sourced overview").
MODIFIERS = word_set("most more very well highly fully less really so too")
# Questions that ask for a fact or a yes/no about the world ("is math...", "when did...").
FACT_OPENERS = word_set("""
is isnt are arent was were does doesnt do dont did didnt has have when who whos where
""")
COPULAS = word_set("is are was were")
PAST_AUXILIARIES = word_set("did didnt was wasnt were werent")  # "what did Aristotle say..."
# "do" opens an imperative before these ("do some research"), else a question ("do studies...")
DO_OBJECTS = word_set("a an some the this that it my")
HOW_MODALS = word_set("do does can could should would")
AUXILIARIES = word_set("do does did is are was were can will would")  # "how long does it take"
ADVICE_OPENERS = word_set("what whats which where should")
HOW_SUBJECTS = word_set("i we you one")
ASSISTANT = word_set("pai")  # the assistant's own name
ARTICLES = word_set("a an")
# Chat's own tasks: a skill's words in their object are what the task works on.
CHAT_TASKS = word_set("""
translate proofread rewrite rephrase paraphrase reword correct edit grade rate debug format
reformat convert
""")
WRITING = word_set("write draft compose")
CHAT_OBJECTS = word_set("""
poem story song joke limerick haiku email letter function script program class method query
regex essay tweet post speech toast bio caption message reply slogan tagline headline riddle
""")
# A command opening with one of these asks for the opposite of what follows.
NEGATIONS = word_set("stop quit dont never")
REQUEST_WORDS = word_set("please pls plz kindly can could would will you u just quickly help me")
_TASK_OPENERS = REQUEST_WORDS | CHAT_TASKS | WRITING
PREPOSITIONS = word_set("in on at from for with by of about after before into over under as per")
# What the user wants, after "I"/"we": "I need a spec", "we want", "I'd like".
DESIRE = word_set("want wanna need needs wish hope hoping")
POLITE = word_set("please pls plz kindly")
MODALS = word_set("can could would will wont")
_ASKING = POLITE | {"lets"}
_YOU = frozenset({"you", "u"})
_OWN = FIRST_PERSON | AT_HAND  # the user's things or the text at hand
_MARKERS = CHAT_MARKERS | {"stand"}  # "what does SRT stand for?"
_WHY_VERBS = AUXILIARIES | MODALS
# Openers after which where a skill's phrase starts changes the reading ("why will this fail"
# is a trigger, "what is a mind map" asks what one is).
_PLACE_MATTERS = word_set("why what whats who whos")
PARTICLES_OF_COMMANDS = word_set("up out down over me us him her them")
# Words of a proposal or a plan: news holding one is for a skill to weigh, not just told.
PROPOSING = word_set("should shall would could will wont gonna plan plans planning propose idea")
HEADING_WORDS = 6  # a heading over the user's own news ("recap of the game:") is this short...
NEWS_WORDS = 12  # ...and the news under it ("Lakers won by 10"): longer, it is text to work on
# Persons that open a piece of news ("I got the job", "she's leaving"): not "it" ("tldr it").
NEWS_SUBJECTS = word_set("i we he she they im ive weve theyre theyve hes shes")
_SUBJECT_AND_VERB = word_set("im ive weve theyre theyve hes shes")
# The last word of a two-word command, never of a noun phrase: "sum it:", "spec out:".
_NOT_A_NOUN = DETERMINERS | PRONOUNS | PARTICLES_OF_COMMANDS
SUBJECT_WORDS = 9  # a statement's verb comes within this many words of a determiner or gerund
NOUN_SUBJECT_WORDS = 3  # ...and of a bare noun ("studies say", "lifelong learning is")
_BEFORE_ADJECTIVE = DETERMINERS | MODIFIERS


def opening(clause: list[str]) -> list[str]:
    """The clause without its leading fillers."""
    start = 0
    while start < len(clause) - 1 and clause[start] in FILLERS:
        start += 1
    return clause[start:]


def is_request(clause: list[str]) -> bool:
    """A polite word, "can you...", "help me", "let's", or "I want/need/'d like..."."""
    if not _ASKING.isdisjoint(clause):
        return True
    if not _YOU.isdisjoint(clause) or "help" in clause:
        for word, after in pairwise(clause):
            if (word in MODALS and after in _YOU) or (word == "help" and after == "me"):
                return True
    return _wants(opening(clause))


def _wants(clause: list[str]) -> bool:
    """ "I want...", "we need...", "I'd like...", "I'm looking for..."."""
    if len(clause) < 2 or clause[0] not in PRONOUNS:
        return False
    rest = [word for word in clause[1:4] if word not in ("really", "just", "also", "am")]
    if not rest:
        return False
    if rest[0] in DESIRE or (rest[0] == "looking" and "for" in rest[1:2]):
        return True
    return (clause[0] == "id" or rest[0] == "would") and any(w in ("like", "love") for w in rest)


def is_statement(clause: list[str]) -> bool:
    """Opens with its subject and has a verb after it: "I summarized the book", "our red team
    exercise revealed...", "lifelong learning is important". An imperative opens with its verb
    ("summarize the book"), a fragment has none ("key points of this report")."""
    clause = opening(clause)
    if not clause or opens_question(clause):
        return False
    if clause[0] in PRONOUNS:
        return len(clause) > 1
    if clause[0] in DETERMINERS or _gerund(clause[0]):
        return _verb_within(clause, 1, SUBJECT_WORDS)
    return _verb_within(clause, 1, NOUN_SUBJECT_WORDS)


def _gerund(word: str) -> bool:
    return len(word) > 5 and word.endswith("ing")


def _verb_within(clause: list[str], start: int, end: int) -> bool:
    """A finite verb among words `start`..`end` of the clause, before any subordinator."""
    for at in range(start, min(end, len(clause))):
        word = clause[at]
        if word in SUBORDINATORS:
            return False
        if word in FINITE or (word.endswith("ed") and len(word) > 4
                              and clause[at - 1] not in _BEFORE_ADJECTIVE):
            return True
    return False


def is_fact_question(clause: list[str], at: int | None = None, own: bool = False) -> bool:
    """A question about a word or the world, not about the user's things or the text at hand:
    "what does X mean?", "explain X", "is X a Y?", "when did X begin?", "how do I X?", and
    "what is X?" when `at` (the word a skill's phrase starts at) is X, or when no phrase is
    in question (`at` None: the scorer reads the sentence as a whole). `own`: the sentence
    says elsewhere that it is about the user's things ("in my transcripts, what did...?"); a
    question for instructions, advice or a cause still is one."""
    skipped = len(clause) - len(opening(clause))
    clause = clause[skipped:]
    if not _MARKERS.isdisjoint(clause) or _how_to(clause) \
            or _asks_advice(clause) or (_asks_why(clause) and (at is None or at > skipped)):
        return True
    if not clause or (own and clause[0] not in PAST_AUXILIARIES) or not _OWN.isdisjoint(clause):
        return False  # "my recordings - did they get deleted?" asks about an event
    if opens_question(clause) and _asks_a_fact(clause):
        return True
    return _what_is(clause, at - skipped if at is not None else None)


def _asks_a_fact(question: list[str]) -> bool:
    """ "is X...?", "when/who/where...?", "what did X say...?", "how does X work?", "how many
    words are in English?"."""
    second = question[1] if len(question) > 1 else ""
    return question[0] in FACT_OPENERS or second in PAST_AUXILIARIES or (
        question[0] == "how" and not AUXILIARIES.isdisjoint(question[1:4]))


def _asks_why(clause: list[str]) -> bool:
    """ "why does my diagram look blurry?": asks for a cause, which plain chat explains (a
    skill's phrase that is itself the question, "why will this fail", still asks)."""
    return len(clause) > 1 and clause[0] == "why" and clause[1] in _WHY_VERBS


def _asks_advice(clause: list[str]) -> bool:
    """ "what should I draw?", "should I...", "where can I find...", "what's a good X?", "what
    do you think of X?": asks for an opinion or a pointer, which plain chat gives."""
    if len(clause) < 2:
        return False
    if "think" in clause and ("you", "think") in pairwise(clause):
        return True  # "what do you think about X?", "do you think..."
    if clause[0] not in ADVICE_OPENERS:
        return False
    second = clause[1]
    if "should" in (clause[0], second) or (clause[0] == "where" and _instructions(clause)):
        return True
    head = 1 if clause[0] == "whats" else 2 if second in COPULAS else 0
    return bool(head) and clause[head] in ("a", "the") and head + 1 < len(clause) \
        and clause[head + 1] in ("good", "best")


def _how_to(clause: list[str]) -> bool:
    """ "how do I...", "how can we...", "how to...": a request for instructions, which plain
    chat gives ("how do I draw a circle in CSS?"); not when it names the assistant itself ("how
    do I build my own pai skill?"): its skills do what it does."""
    return clause[0] == "how" and _instructions(clause) and ASSISTANT.isdisjoint(clause)


def _instructions(clause: list[str]) -> bool:
    """After "how" or "where": "to", or a modal and a person ("can I", "do you")."""
    return len(clause) > 2 and (clause[1] == "to" or (
        clause[1] in HOW_MODALS and clause[2] in HOW_SUBJECTS))


def _what_is(clause: list[str], at: int | None) -> bool:
    """ "what is X", "what's a X", "who are X" with X at word `at`."""
    if clause[0] in ("whats", "whos"):
        head = 1
    elif clause[0] in ("what", "who") and clause[1:2] and clause[1] in COPULAS:
        head = 2
    else:
        return False
    return at is None or at == head or (at == head + 1 and clause[head] in ARTICLES)


def mentions(clause: list[str], at: int | None = None, others: tuple[list[str], ...] = (),
             own: bool = False) -> bool:
    """Whether the clause only mentions what it holds: a statement or a question about a word
    or a fact, with no request in it nor in `others` (the other clauses of its sentence: "my
    skill isn't loading, can you validate it?" asks); a task of chat's own working on it
    ("translate this summary"); or a phrase like "in a nutshell" whose sentence only mentions
    ("in a nutshell, I'm tired"); or a command not to do it ("stop playing devil's advocate").
    A question is about the user's things when a phrase of its sentence holds them (`own`: "in
    my transcripts, what did Sam promise?"). `at`: where a skill's phrase starts."""
    own = own or any(_phrase_only(other) and not _OWN.isdisjoint(other) for other in others)
    if is_fact_question(clause, at, own) or is_chat_task(clause) or is_refusal(clause):
        return True
    if is_request(clause):
        return False
    if is_statement(clause):
        return not any(is_request(other) for other in others)
    if not (_phrase_only(clause) and others):
        return False
    own = own or not _OWN.isdisjoint(clause)
    return all(mentions(other, own=own) for other in others)


def is_chat_task(clause: list[str]) -> bool:
    """A request for one of chat's own tasks, whose object holds the skill's words: "translate
    this summary", "can you proofread my research paper?", "write a poem about my goals"."""
    words = opening(clause)
    if not words or words[0] not in _TASK_OPENERS:
        return False
    at = 0
    while at < len(words) - 1 and words[at] in REQUEST_WORDS:
        at += 1
    if words[at] in CHAT_TASKS:
        return True
    return words[at] in WRITING and any(
        singular(word) in CHAT_OBJECTS for word in words[at + 1:at + 4])


def is_refusal(clause: list[str]) -> bool:
    """A command not to do something: "stop playing devil's advocate", "please don't summarize
    it", "never sugarcoat": what it names is what the user does not want ("don't forget to..."
    aside, which asks)."""
    words = opening(clause)
    at = 0
    while at < len(words) - 1 and words[at] in REQUEST_WORDS:
        at += 1
    if at >= len(words) or words[at] not in NEGATIONS:
        return False
    return words[at + 1:at + 2] != ["forget"]


def command_word(clause: list[str]) -> str:
    """The word a clause opens with once fillers and request words are set aside ("ok can you
    research X" -> "research"): in a command, its verb."""
    return clause[command_at(clause)] if clause else ""


def command_at(clause: list[str]) -> int:
    """Where `command_word` is in the clause."""
    at = len(clause) - len(opening(clause))
    while at < len(clause) - 1 and clause[at] in REQUEST_WORDS:
        at += 1
    return at


def _phrase_only(clause: list[str]) -> bool:
    """A clause with no verb of its own: a prepositional or noun phrase ("in a nutshell", "from
    scratch", "the weak points of X"), which takes the mood of its sentence."""
    clause = opening(clause)
    return bool(clause) and (clause[0] in PREPOSITIONS or clause[0] in DETERMINERS)


def opens_question(clause: list[str]) -> bool:
    """Whether the clause opens like a question ("what is...", "does this...", "do studies
    say..."), not like an imperative ("do some research", "do a deep dive")."""
    if not clause or clause[0] not in QUESTION_OPENERS:
        return False
    return not (clause[0] == "do" and clause[1:2] and clause[1] in DO_OBJECTS)


def asks_about_the_world(clause: list[str]) -> bool:
    """A question not about the user's own things nor the text at hand: the scorer counts its
    opening against every skill ("what does red team mean?", "what are the goals of NATO?")."""
    clause = opening(clause)
    return opens_question(clause) and clause[1:2] not in (["you"], ["u"]) \
        and _OWN.isdisjoint(clause)


def in_sentence(sentence: list[Clause], index: int, at: int | None = None) -> bool:
    """Whether clause `index` of `sentence` only mentions what it holds (see `mentions`), or
    labels a list ("my goals for today: laundry") or asks about a thing in a few words
    ("tasks for a wedding planner?"). `at`: where in the clause a skill's phrase starts."""
    clause = sentence[index]
    if (clause.end == ":" and _labels(clause)) or (clause.end == "?" and
                                                  _names_a_thing(clause.words)):
        return True
    others = tuple(other.words for number, other in enumerate(sentence) if number != index)
    return mentions(clause.words, at, others)


def _labels(clause: Clause) -> bool:
    """ "my goals for today:", "our plan:": a possessive noun phrase before a colon names what
    follows, like "my goals for today are..."."""
    words = opening(clause.words)
    return clause.end == ":" and words[0] in POSSESSIVES and not is_statement(words)


def _names_a_thing(words: list[str]) -> bool:
    """A question of a noun and its complement, without a question word: "spec of the new
    iPhone?", "goals scored by Messi?" (not "key points of this?", "tldr?")."""
    words = opening(words)
    if opens_question(words) or is_request(words) or is_statement(words):
        return False
    if not _OWN.isdisjoint(words):
        return False
    return any(word in PREPOSITIONS or word.endswith("ed") for word in words[1:])


class ClauseSpans:
    """A text's sentences and clauses (`sentence_clauses`), to ask about the clause holding its
    word number `position` (numbered as in `words(text)`)."""

    def __init__(self, sentences: list[list[Clause]]):
        self.sentences = sentences
        self.places: list[tuple[int, int]] = []  # (sentence, clause) of each clause in order
        for number, sentence in enumerate(self.sentences):
            self.places += [(number, index) for index in range(len(sentence))]
        self.ends = list(accumulate(len(self.sentences[n][i].words) for n, i in self.places))
        self._known: dict[tuple[int, int | None], bool] = {}  # (clause, place or None) -> read

    def mentions(self, position: int) -> bool:
        """Whether the clause holding the word only mentions it (see `in_sentence`). Read once
        per clause, and once for the word where its place may matter ("what is X?")."""
        found = bisect.bisect_right(self.ends, position)
        if found >= len(self.places):
            return False
        number, index = self.places[found]
        words = self.sentences[number][index].words
        at = position - (self.ends[found] - len(words))
        opened = opening(words)
        key = (found, at if opened[0] in _PLACE_MATTERS and at <= len(words) - len(opened) + 3
               else None)
        known = self._known.get(key)
        if known is None:
            known = self._known[key] = in_sentence(self.sentences[number], index, key[1])
        return known


def own_headline(sentences: list[list[Clause]], command: Callable[[str], bool]) -> bool:
    """Whether the message is a short heading over the user's own short news: "short version:
    I'm moving to Spain!", "recap of the game: Lakers won by 10", "tl;dr I got the job",
    "update: the server is back up". A skill's phrase in the heading then names what the user
    gives, not what they ask for. Such a heading is a noun phrase (`_noun_heading`), asks
    nothing (a polite word, "this", a question) and is no command (`command(word)`:
    "summarize: ..."); the news under it is a statement that asks nothing and is short (longer,
    it is pasted text for the skill to work on)."""
    split = _heading(sentences)
    if split is None:
        return False
    before, heading, news, colon = split
    if not _noun_heading(heading) or not 0 < sum(map(len, news)) <= NEWS_WORDS:
        return False
    if any(is_request(clause) for clause in before) or is_request(heading) \
            or not AT_HAND.isdisjoint(heading) or opens_question(heading):
        return False
    if colon and command(heading[0]) and heading[1:2] != ["of"]:
        return False  # "summarize: ...", not "recap of the game: ..." nor "tldr I passed"
    if any(is_request(clause) and opening(clause)[:1] != ["we"] for clause in news):
        return False  # "we need a better goalkeeper" states; "can you..." asks
    if any(not PROPOSING.isdisjoint(clause) for clause in news):
        return False  # "devil's advocate: we should ban cars" proposes, for the skill to weigh
    return is_statement(news[0]) or _news(news[0])


def _noun_heading(heading: list[str]) -> bool:
    """A heading shaped like a noun phrase, not a command: one or two words ("short version",
    "update", "tl;dr"; not "sum it", "spec out"), a noun and its complement ("recap of the
    game", "tl;dr of my life") or a determiner's phrase ("the key takeaway from the game")."""
    if not heading or len(heading) > HEADING_WORDS:
        return False
    if len(heading) <= 2:
        return heading[-1] not in _NOT_A_NOUN
    return heading[0] in DETERMINERS or heading[1] in ("of", "from")


def _heading(sentences: list[list[Clause]]) -> tuple[list[list[str]], list[str],
                                                     list[list[str]], bool] | None:
    """The clauses before a heading, the heading, the clauses after it and whether a colon
    ends it: the heading ends at the message's first colon, or (a word or two opening the
    message) where a piece of news starts ("tl;dr I got the job"; not "recall what I said":
    that news is a clause inside, and no command takes "I got..." for its object)."""
    flat = [clause for sentence in sentences for clause in sentence]
    for index, clause in enumerate(flat):
        if clause.end == ":":
            return ([c.words for c in flat[:index]], opening(clause.words),
                    [c.words for c in flat[index + 1:]], True)
    if not flat:
        return None
    words = flat[0].words
    if not words or words[0] in PRONOUNS:
        return None
    for at in range(1, min(3, len(words))):
        if words[at - 1] not in SUBORDINATORS and _news(words[at:]):
            return [], words[:at], [words[at:], *(c.words for c in flat[1:])], False
    return None


def _news(clause: list[str]) -> bool:
    """A person and a finite verb: "I got the job", "she's leaving", "we won"."""
    if not clause or clause[0] not in NEWS_SUBJECTS:
        return False
    return clause[0] in _SUBJECT_AND_VERB or _verb_within(clause, 1, 3)
