"""The turn engine: a chat answer, a skill run, a nested skill and (later) an agent's run are all
turns, run from a TurnContext (see DESIGN.md, "Data flow of one turn")."""
