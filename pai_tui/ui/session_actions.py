"""The app's actions on sessions and models: cancel, retry, rename, delete, system prompt, model
switch, local Ollama. A helper the app composes (its work runs as the app's workers), kept apart
to keep app.py about the frame."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from textual.app import App
from textual.widgets import OptionList

from pai_tui.cockpit import Cockpit
from pai_tui.config import ConfigError
from pai_tui.llm.providers import OFFLINE, ModelChoice
from pai_tui.ui.chat import ChatPane
from pai_tui.ui.panes import HistoryPane
from pai_tui.ui.status import StatusBar


class SessionActions:
    def __init__(self, app: App[None], cockpit: Cockpit, find: Callable[[type], Any]):
        self.app = app
        self.cockpit = cockpit
        self._find = find  # a widget of the main screen, by type
        self.ollama_models: list[str] | None = None  # found on this machine, not yet used

    @property
    def chat(self) -> ChatPane:
        return self._find(ChatPane)  # type: ignore[no-any-return]

    def _run(self, work: Any, group: str, exclusive: bool = True) -> None:
        self.app.run_worker(work, group=group, exclusive=exclusive, exit_on_error=False)

    def _target_session(self) -> int | None:
        """The History entry under the cursor when History has the focus, else the chat's."""
        listing = self._find(HistoryPane).query_one("#history-list", OptionList)
        if listing.has_focus and listing.highlighted_option is not None:
            return int(listing.highlighted_option.id or 0)
        return self.chat.session_id

    async def _save(self, table: tuple[str, ...], values: dict[str, str]) -> None:
        try:
            await asyncio.to_thread(self.cockpit.settings.save, table, values)
        except (ConfigError, OSError) as error:
            self.app.notify(f"Not saved in config.toml: {error}", severity="error",
                            markup=False)

    # the answer

    def cancel_answer(self) -> None:
        if self.chat.cancel():
            self.app.notify("Stopped; the partial answer is kept, marked cancelled.", timeout=3)

    # sessions

    def rename_session(self) -> None:
        self._run(self._rename(), "session-edit")

    async def _rename(self) -> None:
        session_id = self._target_session()
        session = await self.cockpit.history.session(session_id) if session_id else None
        if session is None:
            self.app.notify("No session to rename yet.", severity="warning")
            return
        from pai_tui.ui.dialogs import InputDialog

        title = await self.app.push_screen_wait(InputDialog("Rename session", session.title))
        if title is None or not title.strip():
            return
        await self.cockpit.history.rename_session(session.id, title)
        if session.id == self.chat.session_id:
            self.chat.set_title(title.strip())

    def delete_session(self) -> None:
        self._run(self._delete(), "session-edit")

    async def _delete(self) -> None:
        history = self.cockpit.history
        session_id = self._target_session()
        session = await history.session(session_id) if session_id else None
        if session is None:
            self.app.notify("No session to delete.", severity="warning")
            return
        from pai_tui.ui.dialogs import ConfirmDialog

        count = session.message_count or len(await history.messages(session.id))
        answer = await self.app.push_screen_wait(ConfirmDialog(
            "Delete session", f"Delete “{session.title}” and its {count} messages? "
            "This cannot be undone.", yes="Delete"))
        if answer != "yes":
            return
        if session.id == self.chat.session_id:
            self.chat.cancel()
            await self.chat.new_session()
        await history.delete_session(session.id)
        self.app.notify(f"Deleted “{session.title}”.", timeout=3, markup=False)

    def edit_system_prompt(self) -> None:
        self._run(self._edit_system_prompt(), "session-edit")

    async def _edit_system_prompt(self) -> None:
        session_id = self.chat.session_id
        session = await self.cockpit.history.session(session_id) if session_id else None
        current = session.system_prompt if session else self.cockpit.config.chat.system
        where = "this session" if session else "new sessions (saved in config.toml)"
        from pai_tui.ui.dialogs import TextDialog

        prompt = await self.app.push_screen_wait(TextDialog(
            "System prompt", current or "", f"The system prompt of {where}; empty for none."))
        if prompt is None:
            return
        if session:
            await self.cockpit.history.set_system_prompt(session.id, prompt)
        else:
            await self._save(("chat",), {"system": prompt.strip()})
        self.app.notify("System prompt saved.", timeout=2)

    # models

    def switch_model(self) -> None:
        from textual.command import CommandPalette

        from pai_tui.ui.model_picker import ModelCommands

        self.app.push_screen(CommandPalette(providers=[ModelCommands],
                                            placeholder="Search for a model, or type a name…"))

    def choose_model(self, choice: ModelChoice) -> None:
        providers = self.cockpit.providers
        if choice.provider != OFFLINE and not providers.usable(choice.provider):
            variables = " or ".join(providers.key_variables(choice.provider))
            self.app.notify(f"{choice.provider} needs a key: set {variables} (in the environment "
                            "or secrets.toml in PAI_HOME). Nothing was changed.",
                            severity="warning", markup=False)
            return
        self._run(self._apply_choice(choice), "choice")

    async def _apply_choice(self, choice: ModelChoice) -> None:
        """This session (if any) and new ones answer with `choice` from now on."""
        session_id = self.chat.session_id
        if session_id is not None:
            await self.cockpit.history.set_model(session_id, choice.provider, choice.model)
        await self._save(("chat",), {"provider": choice.provider, "model": choice.model})
        self._find(StatusBar).show_choice(choice)
        self.app.notify(f"Answering with {choice}.", timeout=3, markup=False)
        await self.cockpit.providers.warm_up(choice)

    def look_for_ollama(self) -> None:
        self.app.run_worker(self._detect_ollama, thread=True, group="ollama",
                            exit_on_error=False)

    def _detect_ollama(self) -> None:
        from pai_tui.llm.ollama import detect

        models = detect()
        if models is not None:
            self.app.call_from_thread(self._offer_ollama, models)

    def _offer_ollama(self, models: list[str]) -> None:
        self.ollama_models = models
        self._find(StatusBar).hint = "Ollama found: ctrl+p › Use local Ollama"

    def use_ollama(self) -> None:
        self._run(self._use_ollama(), "choice")

    async def _use_ollama(self) -> None:
        from pai_tui.llm.ollama import ollama_url

        models = self.ollama_models or []
        if not models:
            self.app.notify("No model in the local Ollama: run `ollama pull llama3.2` first.",
                            severity="warning")
            return
        await self._save(("providers", "ollama"), {
            "kind": "openai-compatible", "base_url": f"{ollama_url()}/v1", "model": models[0]})
        self._find(StatusBar).hint = ""
        self.ollama_models = None
        await self._apply_choice(ModelChoice("ollama", models[0]))
