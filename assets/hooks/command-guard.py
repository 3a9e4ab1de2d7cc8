#!/usr/bin/env python3
"""pai's bundled command guard: a Claude Code PreToolUse hook (matcher "Bash").

Reads the hook input on stdin and blocks (exit 2, the reason on stderr) a shell command that
deletes the root or home folder (`rm -rf /`, `rm -rf ~`), force-pushes to main or master, or
wipes a disk (`mkfs`, `dd` / `shred` / `wipefs` onto a device, a redirect into /dev/sdX). Anything
else passes (exit 0). Input it cannot read blocks too: a guard that cannot look must not wave
the call through. Enable it with `[hooks] bundled = ["command-guard"]`.
"""

import json
import re
import sys

# Each: (pattern on the command line, why it is blocked).
RULES = [
    (r"\brm\s+(-[a-zA-Z]*\s+|--[a-z-]+\s+)*-[a-zA-Z]*[rR][a-zA-Z]*\s+(-\S+\s+)*"
     r"(--no-preserve-root\s+)?(/|/\*|~/?|\$HOME/?|\"\$HOME\"/?)(\s|;|&|\||$)",
     "deletes the root or home folder recursively"),
    (r"\brm\s+.*--no-preserve-root", "deletes with --no-preserve-root"),
    (r"\bgit\s+push\b(?=.*(\s--force\b|\s-f\b|\s--force-with-lease\b|\s\+\S*(main|master)\b))"
     r"(?=.*\b(main|master)\b)", "force-pushes to main/master"),
    (r"\bmkfs(\.\w+)?\b", "makes a file system (erases the device)"),
    (r"\bdd\b.*\bof=/dev/(sd|nvme|hd|vd|xvd|mmcblk|disk)\w*", "writes raw data onto a disk"),
    (r"\b(shred|wipefs)\b.*\s/dev/(sd|nvme|hd|vd|xvd|mmcblk|disk)\w*", "wipes a disk"),
    (r">\s*/dev/(sd|nvme|hd|vd|xvd|mmcblk|disk)\w*", "writes over a disk device"),
    (r":\(\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:", "is a fork bomb"),
]


def main() -> int:
    try:
        data = json.load(sys.stdin)
        command = data.get("tool_input", {}).get("command", "")
    except (ValueError, AttributeError) as error:
        print(f"command-guard: cannot read the hook input ({error}): blocked", file=sys.stderr)
        return 2
    if not isinstance(command, str):
        return 0
    for pattern, why in RULES:
        if re.search(pattern, command):
            print(f"command-guard: blocked: this command {why}: {command[:200]}",
                  file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
