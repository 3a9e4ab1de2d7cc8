"""Where agents are found, and which one a name means.

Roots, first wins (like skills): $PAI_HOME/agents, `[agents] roots` in config.toml (e.g.
~/.claude/agents, a PAI checkout's .claude/agents), then the bundled agents. A later agent of
the same name is shadowed, with a warning naming both files. Every `*.md` under a root is read
(folders nest in agent collections), except in hidden folders and node_modules.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pai_tui.agents.definition import AgentDefinition, agent_key, read_outcome
from pai_tui.skills.model import Finding

if TYPE_CHECKING:
    from pai_tui.config import Config

MAX_DEPTH = 6  # folders below a root
MAX_FILES = 5_000  # read under one root (a root set to ~ must not read the disk)
SKIPPED_FOLDERS = frozenset({"node_modules", "__pycache__"})  # and every hidden folder


@dataclass
class AgentCatalog:
    agents: dict[str, AgentDefinition] = field(default_factory=dict)
    warnings: list[Finding] = field(default_factory=list)
    rejected: list[Finding] = field(default_factory=list)
    roots: list[Path] = field(default_factory=list)

    def get(self, name: str) -> AgentDefinition | None:
        return self.agents.get(agent_key(name))

    def __iter__(self) -> Iterator[AgentDefinition]:
        return iter(sorted(self.agents.values(), key=lambda a: a.key))

    def __len__(self) -> int:
        return len(self.agents)

    def findings(self) -> list[Finding]:
        """Warnings and rejections, by file and line."""
        return sorted(self.warnings + self.rejected, key=lambda f: (str(f.path), f.line or 0))

    def add(self, agent: AgentDefinition) -> None:
        first = self.agents.get(agent.key)
        if first is None:
            self.agents[agent.key] = agent
            self.warnings.extend(agent.warnings)
        else:
            self.warnings.append(Finding(
                agent.path, f"agent '{agent.name}' is not loaded: it is shadowed by "
                            f"{first.path}, found first"))


def agent_roots(config: Config) -> list[Path]:
    """The agent roots in precedence order."""
    from pai_tui.paths import bundled

    return [config.home.agents, *(config.home.expand(raw) for raw in config.agents.roots),
            bundled("assets") / "agents"]


def load_catalog(config: Config) -> AgentCatalog:
    """Every agent pai can run. $PAI_HOME/agents may be absent; a configured root that is
    absent is a warning."""
    roots = agent_roots(config)
    catalog = load_roots(roots)
    configured = roots[1:-1]
    catalog.warnings.extend(Finding(root, "an [agents] root in config.toml that does not exist")
                            for root in configured if not root.is_dir())
    return catalog


def load_roots(roots: Sequence[Path]) -> AgentCatalog:
    catalog = AgentCatalog(roots=list(roots))
    seen: set[Path] = set()
    for root in roots:
        if not root.is_dir() or root.resolve() in seen:
            continue
        seen.add(root.resolve())
        files, findings = find_agent_files(root)
        catalog.warnings.extend(findings)
        for path in files:
            outcome = read_outcome(path, root)
            if isinstance(outcome, Finding):
                catalog.rejected.append(outcome)
            else:
                catalog.add(outcome)
    return catalog


def find_agent_files(root: Path) -> tuple[list[Path], list[Finding]]:
    """The `*.md` files under `root` in a stable order, and what stopped the search going
    further (too deep, too many files)."""
    files: list[Path] = []
    findings: list[Finding] = []
    pending: list[tuple[Path, int]] = [(root, 0)]
    while pending:
        folder, depth = pending.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as error:
            findings.append(Finding(folder, f"cannot be read ({error.strerror})"))
            continue
        for entry in entries:
            if entry.name.startswith(".") or entry.name in SKIPPED_FOLDERS:
                continue
            if entry.is_dir():
                if depth < MAX_DEPTH:
                    pending.append((Path(entry.path), depth + 1))
                continue
            if entry.name.endswith(".md") and entry.is_file():
                files.append(Path(entry.path))
                if len(files) >= MAX_FILES:
                    findings.append(Finding(root, f"more than {MAX_FILES:,} Markdown files: "
                                                  f"the rest are not read"))
                    return files, findings
    return sorted(files), findings
