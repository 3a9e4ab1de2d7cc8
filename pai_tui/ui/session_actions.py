"""The app's actions on sessions and models: cancel, retry, rename, delete, system prompt, model
switch, local Ollama. A mixin of PaiApp, kept apart to keep app.py about the frame."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.widgets import OptionList

from pai_tui.config import ConfigError, ProviderSettings, write_settings
from pai_tui.llm.providers import ModelChoice
from pai_tui.ui.chat import ChatPane
from pai_tui.ui.panes import HistoryPane

if TYPE_CHECKING:
    from pai_tui.ui.app import PaiApp

    _Base = PaiApp
else:
    _Base = object


class SessionActions(_Base):
    ollama_models: list[str] | None = None

    @property
    def chat(self) -> ChatPane:
        return self.main.query_one(ChatPane)

    def _target_session(self) -> int | None:
        """The History entry under the cursor when History has the focus, else the chat's."""
        history = self.main.query_one(HistoryPane)
        listing = history.query_one("#history-list", OptionList)
        if listing.has_focus and listing.highlighted_option is not None:
            return int(listing.highlighted_option.id or 0)
        return self.chat.session_id

    def _save_config(self, table: tuple[str, ...], values: dict[str, str]) -> None:
        try:
            write_settings(self.config_path, table, values)
        except (ConfigError, OSError) as error:
            self.notify(f"Not saved in config.toml: {error}", severity="error", markup=False)

    # the answer

    def action_cancel_answer(self) -> None:
        if self.chat.cancel():
            self.notify("Stopped; the partial answer is kept, marked cancelled.", timeout=3)

    def action_retry_answer(self) -> None:
        self.action_focus_pane("chat")
        self.chat.retry()

    def action_toggle_details(self) -> None:
        self.chat.toggle_class("-details")

    def action_show_earlier(self) -> None:
        self.chat.show_earlier()

    # sessions

    @work(group="session-edit", exclusive=True, exit_on_error=False)
    async def action_rename_session(self) -> None:
        session_id = self._target_session()
        session = await self.cockpit.session(session_id) if session_id else None
        if session is None:
            self.notify("No session to rename yet.", severity="warning")
            return
        from pai_tui.ui.dialogs import InputDialog

        title = await self.push_screen_wait(InputDialog("Rename session", session.title))
        if title is None or not title.strip():
            return
        await self.cockpit.rename_session(session.id, title)
        if session.id == self.chat.session_id:
            self.chat.set_title(title.strip())

    @work(group="session-edit", exclusive=True, exit_on_error=False)
    async def action_delete_session(self) -> None:
        session_id = self._target_session()
        session = await self.cockpit.session(session_id) if session_id else None
        if session is None:
            self.notify("No session to delete.", severity="warning")
            return
        from pai_tui.ui.dialogs import ConfirmDialog

        count = session.message_count or len(await self.cockpit.messages(session.id))
        answer = await self.push_screen_wait(ConfirmDialog(
            "Delete session", f"Delete “{session.title}” and its {count} messages? "
            "This cannot be undone.", yes="Delete"))
        if answer != "yes":
            return
        if session.id == self.chat.session_id:
            self.chat.cancel()
            await self.chat.new_session()
        await self.cockpit.delete_session(session.id)
        self.notify(f"Deleted “{session.title}”.", timeout=3, markup=False)

    @work(group="session-edit", exclusive=True, exit_on_error=False)
    async def action_edit_system_prompt(self) -> None:
        session_id = self.chat.session_id
        session = await self.cockpit.session(session_id) if session_id else None
        current = session.system_prompt if session else self.cockpit.config.chat.system
        where = "this session" if session else "new sessions (saved in config.toml)"
        from pai_tui.ui.dialogs import TextDialog

        prompt = await self.push_screen_wait(TextDialog(
            "System prompt", current or "", f"The system prompt of {where}; empty for none."))
        if prompt is None:
            return
        if session:
            await self.cockpit.set_system_prompt(session.id, prompt)
        else:
            self.cockpit.config.chat.system = prompt.strip() or None
            self._save_config(("chat",), {"system": prompt.strip()})
        self.notify("System prompt saved.", timeout=2)

    # models

    def action_switch_model(self) -> None:
        from textual.command import CommandPalette

        from pai_tui.ui.model_picker import ModelCommands

        self.push_screen(CommandPalette(providers=[ModelCommands],
                                        placeholder="Search for a model, or type a name…"))

    def choose_model(self, choice: ModelChoice) -> None:
        self._apply_choice(choice)

    @work(group="choice", exclusive=True, exit_on_error=False)
    async def _apply_choice(self, choice: ModelChoice) -> None:
        await self.cockpit.choose(self.chat.session_id, choice)
        self._save_config(("chat",), {"provider": choice.provider, "model": choice.model})
        self.cockpit.config.chat.provider, self.cockpit.config.chat.model = \
            choice.provider, choice.model
        self.notify(f"Answering with {choice}.", timeout=3, markup=False)
        await self.cockpit.warm_up()

    @work(thread=True, group="ollama", exit_on_error=False)
    def look_for_ollama(self) -> None:
        from pai_tui.llm.ollama import detect

        models = detect()
        if models is not None:
            self.call_from_thread(self._offer_ollama, models)

    def _offer_ollama(self, models: list[str]) -> None:
        self.ollama_models = models
        status = self.main.query_one("#status")
        status.hint = "Ollama found: ctrl+p › Use local Ollama"  # type: ignore[attr-defined]

    def action_use_ollama(self) -> None:
        from pai_tui.llm.ollama import ollama_url

        models = self.ollama_models or []
        if not models:
            self.notify("No model in the local Ollama: run `ollama pull llama3.2` first.",
                        severity="warning")
            return
        settings = ProviderSettings(kind="openai-compatible", base_url=f"{ollama_url()}/v1",
                                    model=models[0])
        self.cockpit.config.providers["ollama"] = settings
        self._save_config(("providers", "ollama"), {
            "kind": "openai-compatible", "base_url": f"{ollama_url()}/v1", "model": models[0]})
        self.main.query_one("#status").hint = ""  # type: ignore[attr-defined]
        self.ollama_models = None
        self.choose_model(ModelChoice("ollama", models[0]))

