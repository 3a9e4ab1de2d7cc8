"""What the narrator says on the bus's events: the spoken line of a chat answer (not of a
nested turn), an agent starting with its task and finishing with its status, a permission
question first, each kind switchable, `only_main` keeping agents quiet."""

from __future__ import annotations

from pai_tui import events, spans
from pai_tui.config import VoiceSettings
from pai_tui.voice.model import Utterance, Voice
from pai_tui.voice.narrator import Narrator
from pai_tui.voice.voices import VoiceBook

MAIN, ARCHITECT = Voice("en-us+f5"), Voice("en-gb-x-rp+m3", 160, 38)
ANSWER = "Intro text.\n\n```\ncode()\n```\n\n🗣️ The export is designed."


def narrate(settings: VoiceSettings) -> tuple[events.Bus, list[Utterance]]:
    bus, said = events.Bus(), []
    book = VoiceBook(MAIN, {"architect": ARCHITECT})
    Narrator(settings, bus, book, said.append,
             task_of=lambda turn_id: "Design the export feature. Keep it small." if turn_id == 7
             else None)
    return bus, said


def turn(bus: events.Bus, turn_id: int, agent: str | None, parent: str | None = None) -> None:
    spans.start_span(bus, "turn", "t", trace_id="trace", parent_span_id=parent, session_id=1,
                     span_id=spans.message_span_id(turn_id), turn_id=turn_id, agent=agent)
    bus.publish(events.TurnStarted(1, turn_id, "anthropic", "m", turn_id=turn_id, agent=agent))


def finish(bus: events.Bus, turn_id: int, agent: str | None, status: str = "complete",
           text: str = ANSWER) -> None:
    bus.publish(events.TurnFinished(1, turn_id, status, text,  # type: ignore[arg-type]
                                    turn_id=turn_id, agent=agent))


def test_an_agent_run_is_said_starting_and_finishing_in_its_voice() -> None:
    bus, said = narrate(VoiceSettings())
    turn(bus, 7, "architect")
    finish(bus, 7, "architect")
    assert [(u.text, u.kind, u.voice) for u in said] == [
        ("Architect: Design the export feature.", "start", ARCHITECT),
        ("Architect done: The export is designed.", "finish", ARCHITECT)]
    assert all(u.trace_id == "trace" and u.parent_span_id == spans.message_span_id(7)
               for u in said)  # the speech spans hang under the run's turn
    turn(bus, 8, "architect")
    finish(bus, 8, "architect", status="error", text="")
    assert [u.text for u in said[2:]] == ["Architect: starting", "Architect failed"]


def test_a_chat_answer_says_its_spoken_line_and_a_nested_turn_says_nothing() -> None:
    bus, said = narrate(VoiceSettings())
    turn(bus, 1, None)
    turn(bus, 2, None, parent=spans.message_span_id(1))  # a nested skill's turn
    finish(bus, 2, None, text="Nested. Never said.")
    finish(bus, 1, None)
    assert [(u.text, u.voice, u.agent) for u in said] == [
        ("The export is designed.", MAIN, None)]
    turn(bus, 3, None)
    finish(bus, 3, None, status="cancelled", text="Cut short. Not said.")
    assert len(said) == 1


def test_a_permission_question_is_said_first_in_the_asker_s_voice() -> None:
    bus, said = narrate(VoiceSettings())
    spans.start_span(bus, "permission", "permission agents/bash", trace_id="trace",
                     parent_span_id="p", session_id=1, turn_id=7, agent="architect",
                     attributes={spans.TOOL_NAME: "agents/bash"})
    [question] = said
    assert question.priority and question.kind == "permission" and question.voice == ARCHITECT
    assert question.text == "Architect asks permission to run agents bash"


def test_each_kind_can_be_switched_off_and_only_main_quiets_agents() -> None:
    quiet = VoiceSettings(agent_start=False, agent_finish=False, answers=False, permission=False)
    bus, said = narrate(quiet)
    turn(bus, 7, "architect")
    finish(bus, 7, "architect")
    turn(bus, 1, None)
    finish(bus, 1, None)
    spans.start_span(bus, "permission", "p", trace_id="t", parent_span_id=None, session_id=1,
                     agent="architect")
    assert said == []
    bus, said = narrate(VoiceSettings(only_main=True))
    turn(bus, 7, "architect")
    finish(bus, 7, "architect")
    spans.start_span(bus, "permission", "p", trace_id="t", parent_span_id=None, session_id=1,
                     agent="architect", attributes={spans.TOOL_NAME: "agents/write"})
    turn(bus, 1, None)
    finish(bus, 1, None)
    assert [(u.kind, u.voice) for u in said] == [("permission", MAIN), ("answer", MAIN)]


def test_muted_says_nothing() -> None:
    bus, said = events.Bus(), []
    narrator = Narrator(VoiceSettings(), bus, VoiceBook(MAIN), said.append)
    narrator.muted = True
    turn(bus, 1, None)
    finish(bus, 1, None)
    assert said == []


def found(*titles: str) -> events.UpgradeItemsFound:
    return events.UpgradeItemsFound(items=tuple(
        events.FoundItem(i + 1, "textual", title, 5.0 - i, f"G{i + 2} — voice, linux")
        for i, title in enumerate(titles)))


def test_new_upgrade_items_are_announced_by_the_main_voice_with_the_goal_they_serve() -> None:
    bus, said = narrate(VoiceSettings())
    bus.publish(found("Textual 1.2 adds `voices`. And more."))
    bus.publish(found("espeak-ng 1.52", "Textual 9", "Ollama 2"))
    assert [(u.text, u.kind, u.voice) for u in said] == [
        ("New upgrade for G2: Textual 1.2 adds voices.", "upgrade", MAIN),
        ("3 new upgrades. Best, for G2: espeak-ng 1.52", "upgrade", MAIN)]


def test_upgrade_announcements_can_be_switched_off() -> None:
    bus, said = narrate(VoiceSettings(upgrades=False))
    bus.publish(found("Textual 1.2"))
    assert said == []
