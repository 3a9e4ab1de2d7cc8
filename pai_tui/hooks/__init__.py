"""Lifecycle hooks in Claude Code's format, so that hooks written for Claude Code (and PAI) run
unchanged: the settings (`registry.py`), one hook run and how its answer reads (`run.py`), the
gates and observers of a turn (`service.py`), the bundled hooks (`bundled.py`).

Unlike Claude Code, gate hooks (UserPromptSubmit, PreToolUse, Stop) fail closed: one that times
out, crashes or prints what is not its contract blocks, and says which hook and why.
"""
