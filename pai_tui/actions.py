"""The catalogue of user actions: one row per bindable action.

Plain data so that the core (config validation, `pai keys`) can read it without Textual; the UI
turns rows into `Binding(id=...)` objects, the help screen and the command palette list them. The
binding id is what the user writes under `[keymap]` in config.toml to rebind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Scope = Literal["app", "screen", "chat-input", "history", "history-search", "agents",
                "upgrades", "help", "skills", "timeline", "summary", "upgrade-item",
                "upgrade-proposal", "notes-used", "note-picker"]


@dataclass(frozen=True)
class ActionSpec:
    id: str
    keys: str  # default keys, comma separated, Textual key names; "" for palette-only
    title: str  # short name shown in the palette and the help screen
    action: str  # Textual action string, run in the namespace of the scope
    scope: Scope = "app"
    help: str = ""
    palette: bool = True  # listed in the command palette
    # Priority: the app sees the key before the focused widget, so that alt+z pressed in the chat
    # input maximizes rather than typing "z". Keys a text input must type stay non-priority.
    priority: bool = False


PANES = ("chat", "agents", "history", "upgrades")

ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("app.help", "f1,question_mark", "Help: keys and actions", "show_help",
               help="List every key binding and action (? works outside text input)."),
    ActionSpec("app.palette", "ctrl+p", "Command palette", "command_palette",
               help="Search and run any action.", palette=False, priority=True),
    ActionSpec("app.quit", "ctrl+q", "Quit", "quit", help="Leave pai.", priority=True),
    *(
        ActionSpec(f"pane.{name}", f"alt+{n},f{n + 1}", f"Focus {name.title()} pane",
                   f"focus_pane('{name}')", help=f"Move the focus to the {name.title()} pane.",
                   priority=True)
        for n, name in enumerate(PANES, start=1)
    ),
    ActionSpec("pane.maximize", "alt+z,f6", "Maximize or restore pane", "toggle_maximize",
               help="Give the focused pane the whole screen, or bring the others back.",
               priority=True),
    ActionSpec("layout.toggle", "alt+l,f7", "Switch layout", "toggle_layout",
               help="Switch between columns (chat beside the others) and a 2x2 grid; remembered.",
               priority=True),
    ActionSpec("theme.change", "alt+t,f8", "Change theme", "change_theme",
               help="Pick a theme; it applies at once and is remembered.", priority=True),
    ActionSpec("session.new", "ctrl+n,alt+n", "New session", "new_session",
               help="Start a new chat session.", priority=True),
    # Not priority: esc must still close dialogs and the palette first.
    ActionSpec("chat.cancel", "escape", "Stop the answer", "cancel_answer",
               help="Stop the answer being written; what came is kept, marked cancelled."),
    ActionSpec("chat.retry", "ctrl+r,f9", "Retry the answer", "retry_answer",
               help="Ask again for an answer to the last message (after an error, say)."),
    ActionSpec("chat.unqueue", "alt+q", "Take back queued messages", "take_back_queued",
               help="Messages sent while an answer is written wait in a queue: put them back "
                    "into the input instead.", priority=True),
    ActionSpec("chat.copy", "alt+c", "Copy the last answer", "copy_answer",
               help="Copy the last answer's text (as Markdown) to the clipboard.", priority=True),
    ActionSpec("chat.answers", "alt+a", "Switch to another answer", "switch_answer",
               help="After a retry: show the other answer to the last message; the one shown "
                    "is the one sent in later turns.", priority=True),
    ActionSpec("chat.details", "alt+i", "Show or hide message details", "toggle_details",
               help="Model, tokens and cost under each answer.", priority=True),
    ActionSpec("chat.earlier", "alt+u", "Show earlier messages", "show_earlier",
               help="Put older messages of a long session back on screen.", priority=True),
    ActionSpec("model.switch", "alt+m", "Switch model", "switch_model",
               help="Pick the provider and model for this session (and new ones).",
               priority=True),
    ActionSpec("session.system", "alt+s", "Set the system prompt", "edit_system_prompt",
               help="Edit this session's system prompt.", priority=True),
    ActionSpec("history.find", "", "Search the history", "search_history",
               help="Search messages, agents' results and upgrade items as you type, in the "
                    "History pane (/ there)."),
    ActionSpec("session.rename", "alt+r", "Rename session", "rename_session",
               help="Rename the session (the History entry under the cursor, if History has "
                    "the focus; else the one in Chat).", priority=True),
    ActionSpec("session.delete", "alt+d", "Delete session", "delete_session",
               help="Delete the session and its messages, after asking (History entry or "
                    "Chat, as for rename).", priority=True),
    ActionSpec("skills.browse", "alt+k", "Skills", "browse_skills",
               help="Browse the skills: filter, read SKILL.md, run a tool.", priority=True),
    ActionSpec("agents.start", "alt+g", "Start an agent", "start_agent",
               help="Pick an agent, give it a task: it runs beside the chat (Agents pane).",
               priority=True),
    ActionSpec("agents.stop_all", "alt+x", "Stop all agents", "stop_all_agents",
               help="Stop every running agent; what they wrote is kept, marked cancelled.",
               priority=True),
    ActionSpec("chat.learn", "alt+b", "Keep the last answer as a learning", "keep_learning",
               help="Keep what the last answer taught as a note: edit the draft first (its "
                    "first line is the title).", priority=True),
    ActionSpec("session.learnings", "alt+f", "Learnings from this session",
               "propose_learnings", help="The model reads this session and proposes what is "
               "worth keeping as notes; you tick what is kept.", priority=True),
    ActionSpec("chat.rate", "alt+y", "Rate the last answer", "rate_answer",
               help="Rate the last answer 1 to 10; a low rating asks what went wrong and "
                    "offers to keep it as a learning.", priority=True),
    ActionSpec("chat.preview_notes", "alt+p", "Notes for this message", "preview_notes",
               help="Before sending: the notes from your history the message being written "
                    "would be given; untick one to leave it out of that turn.", priority=True),
    ActionSpec("chat.notes", "alt+j", "Notes given to the last answer", "notes_used",
               help="Show the notes from your history that were put in the last answer's "
                    "context (its header says how many).", priority=True),
    ActionSpec("timeline.last", "alt+w", "Timeline of the last answer", "last_answer_timeline",
               help="The chat's last answer as a waterfall: its model calls, tool runs, "
                    "questions and the agents it started, with times, tokens and cost.",
               priority=True),
    ActionSpec("usage.summary", "alt+o", "Show the usage summary", "show_usage",
               help="Calls, tokens, cost and errors today, this week or this month: by model, "
                    "agent and skill; the slowest tools.", priority=True),
    ActionSpec("voice.toggle", "alt+v", "Voice on or off", "toggle_voice",
               help="Agents speak, or not (mute), for this session; [voice] enabled = true in "
                    "config.toml turns it on at start.", priority=True),
    ActionSpec("voice.hush", "alt+h", "Hush: stop speaking", "hush",
               help="Stop the clip being said and forget what waits to be said.",
               priority=True),
    ActionSpec("upgrades.fetch", "", "Fetch the upgrade sources now", "fetch_upgrades",
               help="Poll every upgrade source now (progress in the Upgrades pane), then rank "
                    "what they give against your TELOS."),
    ActionSpec("upgrades.schedule", "", "Upgrade scheduler on or off", "toggle_scheduler",
               help="Poll the upgrade sources in the background (saved as [upgrade] schedule "
                    "in config.toml); one pai per database does, the others say which."),
    ActionSpec("agents.reload", "", "Reload agents", "reload_agents",
               help="Read the agent files again (after you add or edit one)."),
    ActionSpec("skills.reload", "", "Reload skills", "reload_skills",
               help="Read the skills and routing.toml again (after you add or edit one)."),
    ActionSpec("ollama.use", "", "Use local Ollama", "use_ollama",
               help="Answer with the Ollama server found on this machine (saved in "
                    "config.toml)."),
    ActionSpec("app.quit_hint", "ctrl+c", "Say how to quit", "help_quit",
               help="ctrl+c copies a selection; with none, says which key quits.",
               palette=False),  # a reflex answered, not an action anyone looks for
    # Not in the palette: moving the focus, a new line or completing a name make no sense there.
    ActionSpec("focus.next", "tab", "Focus next", "app.focus_next", scope="screen",
               help="Move the focus to the next widget.", palette=False),
    ActionSpec("focus.previous", "shift+tab", "Focus previous", "app.focus_previous",
               scope="screen", help="Move the focus to the previous widget.", palette=False),
    ActionSpec("screen.copy", "ctrl+c,super+c", "Copy selected text", "screen.copy_text",
               scope="screen", help="Copy the text selected with the mouse."),
    # Not priority: the input must see these keys in order with the text typed before them.
    ActionSpec("chat.send", "enter", "Send message", "send", scope="chat-input",
               help="Send what is in the chat input."),
    ActionSpec("chat.newline", "ctrl+j,alt+enter,shift+enter", "Insert newline", "newline",
               scope="chat-input", help="Start a new line in the chat input.", palette=False),
    ActionSpec("chat.page_up", "pageup", "Scroll the chat up a page", "page(-1)",
               scope="chat-input", help="From the input: scroll the conversation up a page."),
    ActionSpec("chat.page_down", "pagedown", "Scroll the chat down a page", "page(1)",
               scope="chat-input", help="From the input: scroll the conversation down a page."),
    ActionSpec("chat.complete", "tab", "Complete a slash command", "complete",
               scope="chat-input",
               help="After /, complete the skill's name; elsewhere, move the focus on.",
               palette=False),
    ActionSpec("history.rename", "r", "Rename this session", "app.rename_session",
               scope="history", help="In History: rename the session under the cursor.",
               palette=False),  # the palette's "Rename session" does the same there
    ActionSpec("history.delete", "delete,d", "Delete this session", "app.delete_session",
               scope="history", help="In History: delete the session under the cursor.",
               palette=False),
    ActionSpec("history.view", "v", "Switch History's view", "switch_view", scope="history",
               help="In History: sessions, then your notes, then the forgotten notes."),
    ActionSpec("history.forget", "f", "Forget this note", "forget_note", scope="history",
               help="In History's notes: forget the note under the cursor (it leaves search "
                    "and answers' context; u restores it from the forgotten view)."),
    ActionSpec("history.restore", "u", "Restore this note", "restore_note", scope="history",
               help="In History's forgotten notes: bring the note under the cursor back."),
    ActionSpec("history.search", "slash", "Search as you type", "search", scope="history",
               help="In History: search messages, agents' results and upgrade items as you "
                    "type; enter goes to the results, enter on one opens it where it is.",
               palette=False),  # the palette's "Search the history" does the same anywhere
    ActionSpec("history.search_close", "escape", "Close the search", "close",
               scope="history-search", help="In History's search (the box or the results): back "
                                        "to the sessions.",
               palette=False),
    ActionSpec("agents.stop", "x,delete", "Stop this agent", "stop_run", scope="agents",
               help="In Agents: stop the run under the cursor.", palette=False),
    ActionSpec("agents.rerun", "r", "Run this agent again", "run_again", scope="agents",
               help="In Agents: start the run under the cursor again, same agent, same task.",
               palette=False),
    ActionSpec("agents.copy", "c", "Copy the result into the chat", "copy_result",
               scope="agents", help="In Agents: put the final message of the run under the "
               "cursor into the chat input (to send on, or edit first).", palette=False),
    ActionSpec("agents.timeline", "t", "Timeline of the selected run", "open_timeline",
               scope="agents", help="In Agents: the timeline of the run under the cursor (its "
                                    "model calls, tool runs, time and cost)."),
    ActionSpec("upgrades.read", "m", "Mark read or unread", "toggle_read", scope="upgrades",
               help="In Upgrades: mark the item under the cursor read (or unread again)."),
    ActionSpec("upgrades.delete", "d,delete", "Delete this item", "delete_item",
               scope="upgrades",
               help="In Upgrades: delete the item under the cursor; it never comes back."),
    ActionSpec("upgrades.fetch_here", "f", "Fetch now", "fetch_now", scope="upgrades",
               help="In Upgrades: poll the sources now.", palette=False),
    ActionSpec("upgrades.propose", "p", "Propose a change from this item", "propose",
               scope="upgrades", help="In Upgrades: the model drafts a change to your setup "
                                      "(a diff in $PAI_HOME) from the item under the cursor."),
    ActionSpec("upgrades.accept", "a", "Accept this proposal", "accept", scope="upgrades",
               help="In Upgrades: accept the proposal under the cursor (then g applies it)."),
    ActionSpec("upgrades.reject", "r", "Reject this proposal", "reject", scope="upgrades",
               help="In Upgrades: reject the proposal under the cursor."),
    ActionSpec("upgrades.apply", "g", "Apply this proposal", "apply", scope="upgrades",
               help="In Upgrades: commit the accepted proposal under the cursor in $PAI_HOME "
                    "and verify it; a failed check is undone by a new commit."),
    ActionSpec("upgrades.revert", "u", "Revert this proposal", "revert", scope="upgrades",
               help="In Upgrades: undo the applied proposal under the cursor with a new "
                    "commit."),
    ActionSpec("upgrade_item.close", "escape,q", "Close the item", "close",
               scope="upgrade-item", help="Leave the item."),
    ActionSpec("upgrade_proposal.close", "escape,q", "Close the proposal", "close",
               scope="upgrade-proposal", help="Leave the proposal."),
    ActionSpec("note_picker.keep", "enter", "Keep these notes", "keep", scope="note-picker",
               help="Keep the ticked notes (for a message: the notes it gets; after a "
                    "session: the learnings kept).",
               priority=True),  # before the list's own enter (space ticks there)
    ActionSpec("note_picker.cancel", "escape", "Cancel", "cancel", scope="note-picker",
               help="Change nothing, keep nothing."),
    ActionSpec("notes_used.close", "escape,q", "Close the notes", "close", scope="notes-used",
               help="Leave the notes given to the answer."),
    ActionSpec("help.close", "escape,f1,q", "Close help", "dismiss", scope="help",
               help="Leave the help screen."),
    ActionSpec("skills.run", "r", "Run a tool of this skill", "run_tool", scope="skills",
               help="In Skills: run a tool of the highlighted skill, with arguments."),
    ActionSpec("skills.filter", "slash", "Filter skills", "filter", scope="skills",
               help="In Skills: type to filter by name and description."),
    ActionSpec("skills.close", "escape", "Close skills", "close", scope="skills",
               help="Leave the skills browser."),
    ActionSpec("timeline.close", "escape,q", "Close the timeline", "close", scope="timeline",
               help="Leave the timeline."),
    ActionSpec("summary.period", "p", "Next period", "next_period",
               scope="summary", help="In the usage summary: show today, this week or this "
                                     "month, in turn (← and → on the tabs too)."),
    ActionSpec("summary.close", "escape,q", "Close the usage summary", "close",
               scope="summary", help="Leave the usage summary."),
)

BY_ID: dict[str, ActionSpec] = {spec.id: spec for spec in ACTIONS}

# Scopes whose bindings are live at the same moment (the app's are live everywhere).
_TOGETHER: frozenset[frozenset[Scope]] = frozenset(
    frozenset(pair) for pair in (("screen", "chat-input"), ("screen", "history"),
                                 ("screen", "agents"), ("screen", "upgrades")))
# Keys two actions share on purpose: the first acts where it can, else the key goes on to the
# second (tab completes a /name, else moves the focus; esc stops an answer, else closes the
# screen on top; ctrl+c copies a selection, else says how to quit; f1 opens help, then closes it).
SHARED_BY_DESIGN: frozenset[frozenset[str]] = frozenset(frozenset(pair) for pair in (
    ("chat.complete", "focus.next"), ("chat.cancel", "help.close"),
    ("chat.cancel", "skills.close"), ("chat.cancel", "timeline.close"),
    ("chat.cancel", "summary.close"), ("chat.cancel", "upgrade_item.close"),
    ("chat.cancel", "history.search_close"), ("chat.cancel", "upgrade_proposal.close"),
    ("chat.cancel", "notes_used.close"), ("chat.cancel", "note_picker.cancel"),
    ("app.help", "help.close"),
    ("screen.copy", "app.quit_hint")))


def _live_together(a: ActionSpec, b: ActionSpec) -> bool:
    return a.scope == b.scope or "app" in (a.scope, b.scope) or \
        frozenset((a.scope, b.scope)) in _TOGETHER


def key_conflicts(keymap: dict[str, str]) -> list[tuple[str, str, str]]:
    """(key, binding id, binding id) for each key that two actions live at once would share
    with `keymap` applied (the pairs shared by design aside)."""
    owners: dict[str, list[ActionSpec]] = {}
    for spec in ACTIONS:
        for key in keymap.get(spec.id, spec.keys).split(","):
            if key.strip():
                owners.setdefault(key.strip(), []).append(spec)
    found = []
    for key, specs in owners.items():
        for i, a in enumerate(specs):
            for b in specs[i + 1:]:
                if _live_together(a, b) and frozenset((a.id, b.id)) not in SHARED_BY_DESIGN:
                    found.append((key, a.id, b.id))
    return found
