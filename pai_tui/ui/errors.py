"""Where failed UI workers go: one handler tells the user (a notice) and keeps the traceback in
the log file ($PAI_HOME/logs/pai.log), so no failure vanishes. Workers run with
`exit_on_error=False` (a failure must not close the cockpit); their `Worker.StateChanged` does not
bubble, so the app and the panes each hand theirs here."""

from __future__ import annotations

import logging

from textual.app import App
from textual.worker import Worker, WorkerState

log = logging.getLogger("pai_tui.ui")


def report_worker_failure(app: App[object], event: Worker.StateChanged) -> None:
    if event.state != WorkerState.ERROR:
        return
    worker = event.worker
    error = worker.error
    history = getattr(getattr(app, "cockpit", None), "history", None)
    read_only = getattr(history, "read_only", None)
    if read_only and str(error) == read_only:  # a newer pai's history: a write refused, as such
        app.notify(f"Not saved: {read_only}", severity="warning", timeout=10, markup=False)
        return
    log.error("worker %s failed", worker.name or worker.group, exc_info=error)
    what = worker.name or worker.group or "a task"
    said = f"Something went wrong ({what}): {type(error).__name__}: {error}"
    redact = getattr(app, "redact", None)  # PaiApp's: keys masked, as in the log
    if callable(redact):
        said = redact(said)
    app.notify(f"{said}. The log has the details (pai doctor says where).", severity="error",
               timeout=15, markup=False)
