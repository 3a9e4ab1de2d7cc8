"""The history's notes in a turn's context, as the model receives them over HTTP: the user's
preferences and the notes that match the message, in one bounded block; forgotten notes
never; the answer remembers which notes it got; off by setting."""

from __future__ import annotations

import pytest

from pai_tui.cockpit import Cockpit
from pai_tui.config import load_config
from pai_tui.history.records import NoteDraft
from pai_tui.paths import HomePaths
from tests.conftest import TEST_KEYS, point_providers_at
from tests.fakes.llm_server import FakeLLMServer

pytestmark = pytest.mark.usefixtures("database_url")  # on SQLite and on PostgreSQL


def cockpit_for(home: HomePaths, server: FakeLLMServer, extra: str = "") -> Cockpit:
    point_providers_at(home, server, extra=extra)
    config = load_config(home)
    config.home.ensure()
    return Cockpit(config)


@pytest.fixture(autouse=True)
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", TEST_KEYS["anthropic"])


async def keep(cockpit: Cockpit, *drafts: NoteDraft) -> list[int]:
    return await cockpit.history.run(lambda store: [store.add_note(d).id for d in drafts])


def system_sent(server: FakeLLMServer) -> str:
    system = server.requests[-1].body.get("system") or ""
    if isinstance(system, list):  # Anthropic's blocks
        system = "".join(block.get("text", "") for block in system)
    return system


async def test_matching_notes_and_preferences_reach_the_model_and_are_remembered(
        home: HomePaths, llm_server: FakeLLMServer) -> None:
    cockpit = cockpit_for(home, llm_server)
    retry, british, fridays, forgotten = await keep(
        cockpit,
        NoteDraft("learning", "Retry 529s with backoff", "The provider overloads at noon."),
        NoteDraft("preference", "British spelling", "Write colour, not color."),
        NoteDraft("decision", "Ship on Fridays"),
        NoteDraft("learning", "Provider retries are pointless", "Wrong, forgotten."))
    await cockpit.history.run(lambda store: store.forget_note(forgotten))
    answer = await cockpit.turns.send(None, "Why does the provider overload with 529s?")
    system = system_sent(llm_server)
    assert "<notes>" in system and system.rstrip().endswith("</notes>")
    assert f"[preference {british}] British spelling: Write colour, not color." in system
    assert f"[learning {retry}] Retry 529s with backoff: The provider overloads at noon." \
        in system
    assert "Ship on Fridays" not in system  # matches nothing asked
    assert "pointless" not in system  # forgotten
    assert answer.notes_used == ()  # the record returned predates the note list; stored:
    stored = await cockpit.history.run(lambda store: store.get_message(answer.id))
    assert stored is not None and set(stored.notes_used) == {british, retry}
    del fridays
    await cockpit.aclose()


async def test_the_block_keeps_to_its_budget_and_can_be_turned_off(
        home: HomePaths, llm_server: FakeLLMServer) -> None:
    cockpit = cockpit_for(home, llm_server, extra="\n[notes]\ncontext_chars = 300\n")
    await keep(cockpit, *(NoteDraft("learning", f"Kangaroo fact {n}", "x" * 80)
                          for n in range(10)))
    await cockpit.turns.send(None, "Tell me a kangaroo fact")
    block = system_sent(llm_server)
    assert 0 < block.count("Kangaroo fact") < 10 and len(block) <= 300
    await cockpit.aclose()
    cockpit = cockpit_for(home, llm_server, extra="\n[notes]\nin_context = false\n")
    answer = await cockpit.turns.send(None, "Tell me a kangaroo fact")
    assert "<notes>" not in system_sent(llm_server)
    stored = await cockpit.history.run(lambda store: store.get_message(answer.id))
    assert stored is not None and stored.notes_used == ()
    await cockpit.aclose()


async def test_a_message_naming_a_goal_gets_that_goal_s_notes(
        home: HomePaths, llm_server: FakeLLMServer) -> None:
    cockpit = cockpit_for(home, llm_server)
    [of_g2] = await keep(cockpit, NoteDraft("decision", "Voices stay offline", telos=("G2",)))
    await cockpit.turns.send(None, "Where are we on G2?")  # no word of the note's
    assert f"[decision {of_g2} (G2)] Voices stay offline" in system_sent(llm_server)
    await cockpit.aclose()
