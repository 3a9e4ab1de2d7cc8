"""Upgrade proposals end to end: drafted by the real SDK talking to the loopback LLM server,
stored in a real SQLite store, applied as commits in a real git repository (the temporary
PAI_HOME), verified by code, undone by new commits; the CLI as a user runs it."""

from __future__ import annotations

import asyncio
import json
import re
import stat
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pai_tui.cockpit import Cockpit
from pai_tui.config import load_config
from pai_tui.history.records import FeedItem, ProposalDraft, ProposalRecord
from pai_tui.paths import HomePaths
from pai_tui.secrets.githook import MARK
from pai_tui.upgrade.draft import DraftError
from pai_tui.upgrade.home_git import GitError
from pai_tui.upgrade.proposals import IllegalTransition
from tests.builders import NEW_SKILL
from tests.conftest import KEYS, TEST_KEYS, point_providers_at, run_pai
from tests.fake_keys import fake_keys
from tests.fakes.llm_server import FakeLLMServer, Reply

URL = "https://example.com/news/release-notes"
TITLE = "Release notes are now machine readable"
GREETER = "---\nname: greeter\ndescription: Greets people.\n---\nGreet the user.\n"
BREAK_GREETER = """--- a/skills/greeter/SKILL.md
+++ b/skills/greeter/SKILL.md
@@ -1,5 +1,4 @@
 ---
 name: greeter
-description: Greets people.
 ---
 Greet the user.
"""


def answer(diff: str, title: str = "Add a release-notes skill",
           check: Any = ("test", "-f", "skills/release-notes/SKILL.md")) -> Reply:
    return Reply(text=json.dumps({
        "title": title, "rationale": f"{TITLE} ({URL}) serves G1: read releases faster.",
        "diff": diff, "check": list(check) if check else None}))


@pytest.fixture
def setup(home: HomePaths, llm_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch,
          ) -> HomePaths:
    """PAI_HOME with a skill, a TELOS goal and the model at the loopback server."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", TEST_KEYS["anthropic"])
    point_providers_at(home, llm_server)
    (home.root / "skills" / "greeter").mkdir(parents=True)
    (home.root / "skills" / "greeter" / "SKILL.md").write_text(GREETER)
    (home.root / "telos").mkdir()
    (home.root / "telos" / "GOALS.md").write_text("- G1: Keep up with releases\n")
    return home


@pytest.fixture
def pai(setup: HomePaths) -> Iterator[Cockpit]:
    config = load_config(setup)
    config.home.ensure()
    cockpit = Cockpit(config)
    yield cockpit
    cockpit.close()


def add_item(cockpit: Cockpit) -> int:
    item = FeedItem("k1", "g1", TITLE, URL, "Every release now ships a JSON changelog.", None)

    def store(store: Any) -> int:
        store.add_feed_items("News", [item])
        return store.feed_items()[0].id

    return asyncio.run(cockpit.history.run(store))


def draft(cockpit: Cockpit, server: FakeLLMServer, reply: Reply) -> ProposalRecord:
    item_id = add_item(cockpit)
    server.queue(reply)

    async def go() -> ProposalRecord:
        try:
            return await cockpit.upgrades.propose(item_id, cockpit.turns)
        finally:
            await cockpit.providers.aclose()

    return asyncio.run(go())


def call(cockpit: Cockpit, name: str, *args: Any) -> Any:
    return asyncio.run(getattr(cockpit.upgrades, name)(*args))


def git(home: HomePaths, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=home.root, capture_output=True, text=True,
                          check=True).stdout


def test_a_proposal_is_drafted_accepted_applied_as_a_commit_and_verified(
        pai: Cockpit, setup: HomePaths, llm_server: FakeLLMServer) -> None:
    proposal = draft(pai, llm_server, answer(NEW_SKILL))
    assert (proposal.state, proposal.title) == ("proposed", "Add a release-notes skill")
    assert proposal.draft.drafted_by == "anthropic:claude-sonnet-4-6"
    assert proposal.draft.cost is not None and proposal.draft.cost > 0
    sent = json.dumps(llm_server.requests[-1].body)
    assert TITLE in sent and URL in sent and "G1 (goal): Keep up with releases" in sent
    assert "greeter" in sent and "providers.anthropic.base_url" in sent
    assert TEST_KEYS["anthropic"] not in sent
    assert not (setup.root / ".git").exists()  # nothing changed until applied

    call(pai, "accept", proposal.id)
    done = call(pai, "apply", proposal.id)

    assert done.state == "verified", done.failure
    assert (setup.root / "skills/release-notes/SKILL.md").is_file()
    log = git(setup, "log", "--format=%s")
    assert log.splitlines() == [f"pai upgrade: proposal {proposal.id}: Add a release-notes skill",
                                "pai: PAI_HOME as it was before the first upgrade"]
    assert done.commit_sha == git(setup, "rev-parse", "HEAD").strip()
    assert [(e.from_state, e.to_state) for e in done.events] == [
        (None, "proposed"), ("proposed", "accepted"), ("accepted", "applied"),
        ("applied", "verified")]
    assert "checks passed on skills/release-notes/SKILL.md" in done.events[-1].cause
    assert MARK in (setup.root / ".git/hooks/pre-commit").read_text()


def test_the_database_logs_and_secrets_stay_out_of_the_repository(
        pai: Cockpit, setup: HomePaths, llm_server: FakeLLMServer) -> None:
    (setup.root / "logs").mkdir()
    (setup.root / "logs" / "pai.log").write_text("log\n")
    (setup.root / "secrets.toml").write_text("[keys]\n")
    proposal = draft(pai, llm_server, answer(NEW_SKILL))
    call(pai, "accept", proposal.id)
    assert call(pai, "apply", proposal.id).state == "verified"

    tracked = git(setup, "ls-files").splitlines()
    assert setup.database.is_file()
    assert not [name for name in tracked if name.startswith(("pai.db", "logs/", "secrets"))]
    assert "skills/greeter/SKILL.md" in tracked and ".gitignore" in tracked
    assert git(setup, "status", "--porcelain") == ""  # the database's -wal/-shm are ignored too
    # The repository holds copies of the user's files: the user's only, like them.
    assert stat.S_IMODE((setup.root / ".git").stat().st_mode) == 0o700
    assert stat.S_IMODE((setup.root / ".gitignore").stat().st_mode) == 0o600


def test_a_skill_change_that_fails_validation_is_undone_by_a_new_commit(
        pai: Cockpit, setup: HomePaths, llm_server: FakeLLMServer) -> None:
    proposal = draft(pai, llm_server, answer(BREAK_GREETER, "Shorten greeter", check=None))
    call(pai, "accept", proposal.id)
    done = call(pai, "apply", proposal.id)

    assert done.state == "failed"
    assert "skill greeter" in (done.failure or "") and "no 'description' field" in done.failure
    assert (setup.root / "skills/greeter/SKILL.md").read_text() == GREETER
    log = git(setup, "log", "--format=%H %s").splitlines()
    assert len(log) == 3  # the starting point, the proposal, its undo: nothing rewritten
    assert log[0] == f"{done.revert_sha} pai upgrade: undo failed proposal {proposal.id}: " \
                     "Shorten greeter"
    assert log[1].startswith(f"{done.commit_sha} pai upgrade: proposal {proposal.id}")
    assert [e.to_state for e in done.events][-2:] == ["applied", "failed"]


def test_a_failing_check_of_its_own_fails_the_proposal(
        pai: Cockpit, setup: HomePaths, llm_server: FakeLLMServer) -> None:
    reply = answer(NEW_SKILL, check=["sh", "-c", "echo missing piece >&2; exit 3"])
    proposal = draft(pai, llm_server, reply)
    call(pai, "accept", proposal.id)
    done = call(pai, "apply", proposal.id)
    assert done.state == "failed"
    assert "exit 3" in (done.failure or "") and "missing piece" in done.failure
    assert not (setup.root / "skills/release-notes").exists()


def test_a_dirty_tree_is_refused_with_the_changed_files(
        pai: Cockpit, setup: HomePaths, llm_server: FakeLLMServer) -> None:
    first = draft(pai, llm_server, answer(NEW_SKILL))
    call(pai, "accept", first.id)
    call(pai, "apply", first.id)
    (setup.root / "skills/greeter/SKILL.md").write_text(GREETER + "Be brief.\n")
    (setup.root / "notes.md").write_text("mine\n")
    second = draft(pai, llm_server, answer(BREAK_GREETER, "Shorten greeter", check=None))
    call(pai, "accept", second.id)

    result = run_pai("upgrade", "apply", str(second.id), env=KEYS)

    assert result.returncode == 1
    assert "has changes not committed: skills/greeter/SKILL.md, notes.md" in result.stderr
    assert call(pai, "proposal", second.id).state == "accepted"
    assert (setup.root / "notes.md").read_text() == "mine\n"  # nothing of the user's lost


def test_revert_undoes_a_verified_proposal_with_a_new_commit(
        pai: Cockpit, setup: HomePaths, llm_server: FakeLLMServer) -> None:
    proposal = draft(pai, llm_server, answer(NEW_SKILL))
    call(pai, "accept", proposal.id)
    call(pai, "apply", proposal.id)

    done = call(pai, "revert", proposal.id)

    assert done.state == "reverted"
    assert not (setup.root / "skills/release-notes").exists()
    assert git(setup, "log", "-1", "--format=%H %s").strip() == \
        f"{done.revert_sha} pai upgrade: revert proposal {proposal.id}: Add a release-notes skill"
    assert len(git(setup, "log", "--format=%H").splitlines()) == 3
    with pytest.raises(IllegalTransition, match=f"proposal {proposal.id} is reverted"):
        call(pai, "revert", proposal.id)


def test_a_rejected_proposal_cannot_be_accepted_or_applied(
        pai: Cockpit, llm_server: FakeLLMServer) -> None:
    proposal = draft(pai, llm_server, answer(NEW_SKILL))
    with pytest.raises(IllegalTransition, match="is proposed: it cannot become applied"):
        call(pai, "apply", proposal.id)
    assert call(pai, "reject", proposal.id).state == "rejected"
    with pytest.raises(IllegalTransition, match=f"proposal {proposal.id} is rejected: it "
                                                "cannot become accepted"):
        call(pai, "accept", proposal.id)


def test_proposals_unanswered_for_30_days_expire(pai: Cockpit) -> None:
    now = datetime(2026, 12, 1, 12, 0)
    drafted = ProposalDraft(None, "Old idea", "why", NEW_SKILL, None, "test")

    def add(store: Any) -> list[int]:
        old = store.add_proposal(drafted, "proposed", "drafted", now - timedelta(days=31))
        stale = store.add_proposal(drafted, "proposed", "drafted", now - timedelta(days=40))
        store.move_proposal(stale.id, ("proposed",), "accepted", "yes", now - timedelta(days=31))
        recent = store.add_proposal(drafted, "proposed", "drafted", now - timedelta(days=29))
        return [old.id, stale.id, recent.id]

    old, stale, recent = asyncio.run(pai.history.run(add))
    assert sorted(call(pai, "expire_proposals", now)) == [old, stale]
    states = {p.id: p.state for p in call(pai, "proposals")}
    assert states == {old: "expired", stale: "expired", recent: "proposed"}
    last = call(pai, "proposal", old).events[-1]
    assert (last.from_state, last.to_state, last.at, last.cause) == (
        "proposed", "expired", now, "unanswered for 30 days")


def test_a_malformed_answer_stores_nothing_and_says_why(
        pai: Cockpit, llm_server: FakeLLMServer) -> None:
    with pytest.raises(DraftError, match="holds no JSON object; nothing was stored"):
        draft(pai, llm_server, Reply(text="Sure! You should add a skill for release notes."))
    with pytest.raises(DraftError, match="not valid JSON"):
        draft(pai, llm_server, Reply(text='{"title": "x", "diff": }'))
    with pytest.raises(DraftError, match="has no rationale"):
        draft(pai, llm_server, Reply(text=json.dumps({"title": "x", "diff": NEW_SKILL})))
    with pytest.raises(DraftError, match="does not apply"):
        draft(pai, llm_server, answer(BREAK_GREETER.replace("Greets people", "Waves")))
    assert call(pai, "proposals") == []


@pytest.mark.parametrize(("path", "why"), [
    ("../outside.txt", "outside PAI_HOME"),
    ("pai.db", "never changed by an upgrade"),
    ("secrets.toml", "never changed by an upgrade"),
    ("logs/pai.log", "logs/ is pai's own"),
    (".gitignore", "git's own files"),
])
def test_a_diff_leaving_the_setup_is_refused(pai: Cockpit, setup: HomePaths,
                                             llm_server: FakeLLMServer, path: str,
                                             why: str) -> None:
    diff = (f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1 @@\n+owned\n")
    with pytest.raises(DraftError, match=f"may not be applied: {re.escape(path)}: .*{why}"):
        draft(pai, llm_server, answer(diff))
    assert not (setup.root.parent / "outside.txt").exists()
    assert call(pai, "proposals") == []


def test_a_symbolic_link_out_of_pai_home_is_refused(
        pai: Cockpit, setup: HomePaths, llm_server: FakeLLMServer, tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (setup.root / "skills" / "linked").symlink_to(tmp_path / "elsewhere")
    diff = "--- /dev/null\n+++ b/skills/linked/SKILL.md\n@@ -0,0 +1 @@\n+owned\n"
    with pytest.raises(DraftError, match="leads outside PAI_HOME"):
        draft(pai, llm_server, answer(diff))


def test_the_cli_drafts_lists_accepts_and_applies(setup: HomePaths,
                                                  llm_server: FakeLLMServer) -> None:
    config = load_config(setup)
    cockpit = Cockpit(config)
    item_id = add_item(cockpit)
    cockpit.close()
    llm_server.queue(answer(NEW_SKILL))

    drafted = run_pai("upgrade", "propose", str(item_id), env=KEYS)
    assert drafted.returncode == 0, drafted.stderr
    title, by = drafted.stdout.splitlines()[:2]
    assert title == "proposal 1: Add a release-notes skill"
    assert re.fullmatch(r"drafted by anthropic:claude-sonnet-4-6, cost \$0\.0\d\d\d", by)
    assert not by.endswith("$0.0000")  # what it cost is said, never shown as nothing
    listed = json.loads(run_pai("upgrade", "proposals", "--state", "proposed", "--json").stdout)
    assert [(p["id"], p["state"], p["item_id"]) for p in listed] == [(1, "proposed", item_id)]
    assert URL in listed[0]["rationale"] and listed[0]["diff"] == NEW_SKILL
    shown = run_pai("upgrade", "proposal", "1")
    assert "+name: release-notes" in shown.stdout and "new → proposed" in shown.stdout

    assert run_pai("upgrade", "accept", "1").stdout == \
        "proposal 1: accepted: Add a release-notes skill\n"
    applied = run_pai("upgrade", "apply", "1")
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.startswith("proposal 1: verified (commit ")
    again = run_pai("upgrade", "accept", "1")
    assert again.returncode == 1
    assert again.stderr == "pai: proposal 1 is verified: it cannot become accepted (only a " \
                           "proposal that is proposed can); you can revert it\n"
    assert run_pai("upgrade", "proposals", "--state", "rejected").stdout == "No proposals.\n"


def test_the_cli_says_a_malformed_answer_and_a_missing_proposal(
        setup: HomePaths, llm_server: FakeLLMServer) -> None:
    cockpit = Cockpit(load_config(setup))
    item_id = add_item(cockpit)
    cockpit.close()
    llm_server.queue(Reply(text="no json here"))
    result = run_pai("upgrade", "propose", str(item_id), env=KEYS)
    assert result.returncode == 1
    assert "pai: the model's answer holds no JSON object; nothing was stored" in result.stderr
    missing = run_pai("upgrade", "apply", "9")
    assert (missing.returncode, missing.stderr) == (1, "pai: no proposal 9 (pai upgrade "
                                                       "proposals)\n")
    unknown = run_pai("upgrade", "propose", "77", env=KEYS)
    assert unknown.returncode == 1 and "no item 77" in unknown.stderr


def test_git_refusing_a_diff_at_apply_time_leaves_the_proposal_accepted(
        pai: Cockpit, setup: HomePaths, llm_server: FakeLLMServer) -> None:
    first = draft(pai, llm_server, answer(NEW_SKILL))
    second = draft(pai, llm_server, answer(NEW_SKILL, "The same skill again"))
    for proposal in (first, second):
        call(pai, "accept", proposal.id)
    assert call(pai, "apply", first.id).state == "verified"
    with pytest.raises(GitError, match=r"checking the diff \(git apply\) failed: .*already exists"):
        call(pai, "apply", second.id)
    assert call(pai, "proposal", second.id).state == "accepted"
    assert git(setup, "status", "--porcelain") == ""


def test_a_key_in_pai_home_stops_the_first_commit_and_leaves_no_repository(
        pai: Cockpit, setup: HomePaths, llm_server: FakeLLMServer) -> None:
    key = fake_keys()["anthropic-key"]
    (setup.root / "skills/greeter/notes.md").write_text(f"token = {key}\n")
    proposal = draft(pai, llm_server, answer(NEW_SKILL))
    call(pai, "accept", proposal.id)
    with pytest.raises(GitError, match="committing PAI_HOME as it was failed") as refused:
        call(pai, "apply", proposal.id)
    assert key not in str(refused.value) and "notes.md" in str(refused.value)
    assert not (setup.root / ".git").exists() and not (setup.root / ".gitignore").exists()
    assert call(pai, "proposal", proposal.id).state == "accepted"
    (setup.root / "skills/greeter/notes.md").unlink()
    assert call(pai, "apply", proposal.id).state == "verified"


def test_a_routing_rule_or_hooks_file_that_does_not_load_fails_the_proposal(
        pai: Cockpit, setup: HomePaths, llm_server: FakeLLMServer) -> None:
    diff = ("--- /dev/null\n+++ b/routing.toml\n@@ -0,0 +1,2 @@\n+[[rule]]\n+skill = 3\n"
            "--- /dev/null\n+++ b/hooks.json\n@@ -0,0 +1 @@\n+{\"hooks\": \n")
    proposal = draft(pai, llm_server, answer(diff, "Route and hook", check=None))
    call(pai, "accept", proposal.id)
    done = call(pai, "apply", proposal.id)
    assert done.state == "failed"
    assert "routing.toml: " in (done.failure or "") and "rule 1" in done.failure
    assert "hooks.json: " in done.failure and "not valid JSON" in done.failure
    assert not (setup.root / "routing.toml").exists() and not (setup.root / "hooks.json").exists()
