"""Watching pai run: the log file (and, later, the timeline recorder)."""
