"""Named agents: their definitions (Markdown files read as Claude Code, PAI and pai write them),
where they are found, and (later) their runs."""
