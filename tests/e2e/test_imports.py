"""Import contracts: startup pays for no SDK, scheduler, voice or feed library, and does not wait
for the database; the core runs without Textual."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import REPO

HEAVY = ("anthropic", "openai", "apscheduler", "pyttsx3", "feedparser")


def run_python(code: str, tmp_path: Path) -> str:
    script = tmp_path / "probe.py"  # a file, not -c: Textual reads the App's source file
    script.write_text(textwrap.dedent(code))
    # PYTHONPATH: the checkout under test, not whatever pai an editable install points at.
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            cwd=REPO, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_startup_imports_no_heavy_library_and_paints_before_the_database(tmp_path: Path) -> None:
    out = run_python("""
        import asyncio, json, sys
        from pai_tui.cli import main  # the real entry point's imports
        from pai_tui.config import load_config
        from pai_tui.cockpit import Cockpit
        from pai_tui.ui.app import PaiApp

        seen = {}

        class Probe(PaiApp):
            def on_ready(self):
                seen["at_first_frame"] = sorted(m for m in sys.modules
                                                if m.split(".")[0] in ("sqlalchemy",))[:1]
                seen["commands"] = sorted(m for m in sys.modules if m.startswith("pai_tui.cli."))
                seen["focused"] = self.focused.id if self.focused else None
                super().on_ready()

        async def main():
            config = load_config(); config.home.ensure()
            app = Probe(Cockpit(config))
            async with app.run_test(size=(120, 40)) as pilot:
                await app.workers.wait_for_complete()
                await pilot.pause()
                await pilot.press("f1", "escape", "ctrl+p")
                await pilot.pause()
            heavy = sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY))
            print(json.dumps({**seen, "heavy": heavy}))

        asyncio.run(main())
    """.replace("HEAVY", repr(HEAVY)), tmp_path)
    seen = json.loads(out)
    assert seen["heavy"] == []
    assert seen["at_first_frame"] == []  # SQLAlchemy not even imported when the first frame shows
    assert seen["commands"] == []  # no command module (pai ask, pai skill...) for the cockpit
    assert seen["focused"] == "chat-input"


def test_core_imports_without_textual(tmp_path: Path) -> None:
    out = run_python("""
        import importlib, json, pkgutil, sys
        import pai_tui
        names = [m.name for m in pkgutil.walk_packages(pai_tui.__path__, "pai_tui.")
                 if not m.name.startswith("pai_tui.ui") and m.name != "pai_tui.__main__"]
        for name in names:
            importlib.import_module(name)
        print(json.dumps({"modules": names,
                          "textual": sorted(m for m in sys.modules if m.startswith("textual"))}))
    """, tmp_path)
    result = json.loads(out)
    assert "pai_tui.cockpit" in result["modules"] and "pai_tui.history.store" in result["modules"]
    assert result["textual"] == []


def test_pai_help_lists_every_command_without_importing_one(tmp_path: Path) -> None:
    out = run_python("""
        import json, sys
        from click.testing import CliRunner
        from pai_tui.cli.group import cli
        result = CliRunner().invoke(cli, ["--help"], terminal_width=200)
        print(json.dumps({"code": result.exit_code, "help": result.output,
                          "imported": sorted(m for m in sys.modules
                                             if m.startswith("pai_tui.cli."))}))
    """, tmp_path)
    result = json.loads(out)
    assert result["code"] == 0 and result["imported"] == ["pai_tui.cli.group"]  # no command
    from pai_tui.cli.group import PaiGroup, cli

    listed = [line.split(maxsplit=1)
              for line in result["help"].split("Commands:\n", 1)[1].splitlines()]
    assert listed == [[name, PaiGroup.SUMMARY[name]] for name in sorted(PaiGroup.LAZY)]
    for name in PaiGroup.LAZY:  # the static summaries say what the commands' help says
        command = cli.get_command(None, name)  # type: ignore[arg-type]
        assert command is not None and command.help
        first = inspect.cleandoc(command.help).split("\n\n")[0]
        assert " ".join(first.split()) == PaiGroup.SUMMARY[name]
