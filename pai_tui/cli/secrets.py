"""`pai secrets`: find keys where they should not be (files, the staged git diff), refuse commits
that add one (a git pre-commit hook), and keep the keys of secrets.toml (add, list, rotate).

No command here ever prints a whole key: findings and keys are shown by their last 4 characters.
Exit codes: 0 fine, 1 something found (or refused), 2 usage or configuration error.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import click

from pai_tui.cli import config_for
from pai_tui.cli.output import say, say_json, warn

EXIT_FOUND = 1
EXIT_USAGE = 2


@click.group("secrets")
def secrets_group() -> None:
    """Secrets: scan files or staged changes for keys, a pre-commit hook, and key rotation."""


# --- scan -----------------------------------------------------------------------------------

@secrets_group.command("scan")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--staged", is_flag=True,
              help="Scan the lines the staged git diff adds (what the pre-commit hook runs).")
@click.option("--allow", "allow_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Allow list of fingerprints (default: .pai-secrets-allow at the root of the "
                   "repository, else of the current folder).")
@click.option("--fingerprints", is_flag=True,
              help="Print each finding's fingerprint too (what an allow list holds).")
@click.pass_context
def scan(ctx: click.Context, paths: tuple[Path, ...], staged: bool, allow_file: Path | None,
         fingerprints: bool) -> None:
    """Find what is shaped like a secret in files and folders (default: the current folder),
    or with --staged in the staged git diff; print `path:line: kind (…last 4)` for each.

    Exits 1 when anything is found, 0 otherwise. A false positive: put `pai: allow-secret` on
    its line, or its fingerprint (--fingerprints) in the allow list.
    """
    from pai_tui.secrets.allow import ALLOW_FILE, AllowListError, read_allow_list
    from pai_tui.secrets.scan import Found, GitError, Skipped, git_root, scan_paths, scan_staged

    config_for(ctx)  # like every command: a broken config.toml stops here (exit 2)
    if staged and paths:
        raise click.UsageError("give PATHs or --staged, not both")
    try:
        root = git_root(Path.cwd())
    except GitError:
        root = None
    if staged and root is None:
        warn("pai: --staged needs a git repository: the current folder is not in one")
        ctx.exit(EXIT_USAGE)
    try:
        allowed = read_allow_list(allow_file or (root or Path.cwd()) / ALLOW_FILE)
    except AllowListError as error:
        warn(f"pai: {error}")
        ctx.exit(EXIT_USAGE)
    try:
        items = scan_staged(root, allowed) if staged else \
            list(scan_paths(paths or (Path("."),), allowed))
    except GitError as error:
        warn(f"pai: cannot read the staged changes: {error}")
        ctx.exit(EXIT_USAGE)
    found = [item for item in items if isinstance(item, Found)]
    for item in items:
        if isinstance(item, Skipped):
            warn(f"pai: skipped {item.path}: {item.reason}")
        else:
            say(f"{item}  {item.finding.fingerprint}" if fingerprints else str(item))
    if found:
        files = len({item.path for item in found})
        what = "the staged changes add" if staged else "found"
        warn(f"pai: {what} {len(found)} thing(s) shaped like a secret in {files} file(s)"
             + (": commit refused." if staged else "."))
        warn("pai: remove them (keys belong in the environment or $PAI_HOME/secrets.toml); "
             "a false positive: `pai: allow-secret` on its line, or its fingerprint "
             f"(--fingerprints) in {ALLOW_FILE}.")
        ctx.exit(EXIT_FOUND)


# --- the git hook ---------------------------------------------------------------------------

@secrets_group.command("install-hook")
@click.argument("repo", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Replace a pre-commit hook that is there (kept as pre-commit.before-pai).")
@click.pass_context
def install_hook_command(ctx: click.Context, repo: Path | None, force: bool) -> None:
    """Write a git pre-commit hook in REPO (default: the current one) that runs
    `pai secrets scan --staged`: a commit that adds a key is refused."""
    from pai_tui.secrets.githook import HookExists, install_hook

    config_for(ctx)  # like every command: a broken config.toml stops here (exit 2)
    try:
        hook = install_hook(repo or Path.cwd(), force=force)
    except HookExists as error:
        warn(f"pai: {error}")
        ctx.exit(EXIT_FOUND)
    except (RuntimeError, OSError) as error:
        warn(f"pai: cannot write the hook: {error}")
        ctx.exit(EXIT_USAGE)
    say(f"wrote {hook}: commits that add something shaped like a key are refused")


# --- keys of secrets.toml -------------------------------------------------------------------

def _provider_variable(ctx: click.Context, provider: str | None) -> str:
    """The variable holding `provider`'s first key (where add and rotate store one)."""
    from pai_tui.llm.providers import Providers

    providers = Providers(config_for(ctx))  # first: a broken config.toml is exit 2
    if not provider:
        raise click.UsageError("Missing argument 'PROVIDER'.")
    if providers.settings(provider) is None:
        warn(f"pai: no provider named {provider!r} (known: {', '.join(providers.names())})")
        ctx.exit(EXIT_USAGE)
    variables = providers.key_variables(provider)
    if not variables:
        warn(f"pai: provider {provider!r} names no key variable: set key_env in "
             f"[providers.{provider}] of config.toml (e.g. key_env = \"MY_PROVIDER_KEY\")")
        ctx.exit(EXIT_USAGE)
    return variables[0]


def _read_key(ctx: click.Context, prompt: str) -> str:
    """A key from the terminal without echo, or from stdin's first line when piped."""
    if sys.stdin.isatty():
        key = click.prompt(prompt, hide_input=True, default="", show_default=False)
    else:
        key = sys.stdin.readline()
    key = key.strip()
    if not key:
        warn("pai: no key given (type or pipe it on stdin); nothing was changed")
        ctx.exit(EXIT_USAGE)
    if any(c.isspace() or not c.isprintable() for c in key):
        warn("pai: a key is one word of printable characters (this one has spaces or control "
             "characters); nothing was changed")
        ctx.exit(EXIT_USAGE)
    return key


def _secrets_file(ctx: click.Context):  # -> SecretsFile
    from pai_tui.llm.key_store import SecretsFile

    return SecretsFile(config_for(ctx).home.root / "secrets.toml")


def _environment_note(variable: str) -> None:
    if os.environ.get(variable, "").strip():
        warn(f"pai: note: {variable} is also set in the environment, which wins over "
             "secrets.toml: unset it for this key to be used")


@secrets_group.command("add")
@click.argument("provider", required=False)
@click.pass_context
def add(ctx: click.Context, provider: str | None) -> None:
    """Store a key for PROVIDER in $PAI_HOME/secrets.toml (mode 600, dated), read from the
    terminal without echo (or from stdin). A provider that has a key: use `rotate`."""
    from pai_tui.llm.key_store import SecretsFileError
    from pai_tui.llm.keys import mask

    variable = _provider_variable(ctx, provider)
    store = _secrets_file(ctx)
    try:
        stored = {k.variable: k for k in store.stored()}
        if variable in stored:
            old = stored[variable]
            warn(f"pai: {variable} already holds a key ({old.masked}, added "
                 f"{old.added or 'before pai recorded dates'}): `pai secrets rotate {provider}` "
                 "replaces it once the new one is checked; nothing was changed")
            ctx.exit(EXIT_FOUND)
        key = _read_key(ctx, f"Key for {provider} (not shown)")
        store.put(variable, key)
    except SecretsFileError as error:
        warn(f"pai: {error}")
        ctx.exit(EXIT_USAGE)
    say(f"stored {provider}'s key ({mask(key)}) as {variable} in {store.path} (mode 600), "
        f"added {dt.date.today()}")
    _environment_note(variable)


@secrets_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_context
def list_keys(ctx: click.Context, as_json: bool) -> None:
    """Each key pai knows (secrets.toml and the providers' variables in the environment),
    masked, with its age, when it was last used and its last failure."""
    from pai_tui.llm.key_store import SecretsFileError, key_fingerprint, read_usage
    from pai_tui.llm.keys import mask
    from pai_tui.llm.providers import Providers

    config = config_for(ctx)
    try:
        stored = _secrets_file(ctx).stored()
    except SecretsFileError as error:
        warn(f"pai: {error}")
        ctx.exit(EXIT_USAGE)
    usage = read_usage(config.home.root)
    providers = Providers(config)
    rows = [{"variable": k.variable, "source": "secrets.toml", "key": k.masked,
             "added": k.added.isoformat() if k.added else None, "age_days": k.age_days(),
             "fingerprint": k.fingerprint} for k in stored]
    for variable in dict.fromkeys(v for n in providers.names() for v in providers.key_variables(n)):
        value = os.environ.get(variable, "").strip()
        if value:
            rows.append({"variable": variable, "source": "environment", "key": mask(value),
                         "added": None, "age_days": None, "fingerprint": key_fingerprint(value)})
    if not rows:
        say("no keys: `pai secrets add PROVIDER` stores one")
        return
    for row in rows:
        used = usage.get(str(row.pop("fingerprint")))
        row["last_used"] = used.last_used if used else None
        row["last_failure"] = used.last_failure if used else None
        if as_json:
            say_json(row)
            continue
        age = f"added {row['added']} ({row['age_days']} days)" if row["added"] else \
            ("age unknown" if row["source"] == "secrets.toml" else "age unknown (environment)")
        say(f"{row['variable']:<22} {row['key']:<8} {row['source']:<12} {age}; "
            f"last used: {row['last_used'] or 'never seen'}; "
            f"last failure: {row['last_failure'] or 'none'}")


@secrets_group.command("rotate")
@click.argument("provider", required=False)
@click.pass_context
def rotate(ctx: click.Context, provider: str | None) -> None:
    """Replace PROVIDER's key: read the new one (no echo), check it with a request that sends
    no prompt (the provider's list of models), and only when it is accepted store it first
    and retire the old one. A refused key changes nothing."""
    from pai_tui.llm.key_store import SecretsFileError, forget_use, record_use
    from pai_tui.llm.keys import Key, mask
    from pai_tui.llm.providers import Providers
    from pai_tui.llm.reach import check_key

    variable = _provider_variable(ctx, provider)
    config = config_for(ctx)
    store = _secrets_file(ctx)
    try:
        old = store.get(variable)
    except SecretsFileError as error:
        warn(f"pai: {error}")
        ctx.exit(EXIT_USAGE)
    new = _read_key(ctx, f"New key for {provider} (not shown)")
    if new == old:
        warn(f"pai: that is the key {variable} holds already ({mask(new)}); nothing was changed")
        ctx.exit(EXIT_USAGE)
    accepted, said = check_key(Providers(config), provider, Key(variable, new))
    if not accepted:
        keeps = f"{variable} keeps {mask(old)}" if old else f"{variable} stays empty"
        warn(f"pai: the new key ({mask(new)}) was not accepted: {said}. Nothing was changed: "
             f"{keeps}.")
        ctx.exit(EXIT_FOUND)
    try:
        store.put(variable, new)
    except SecretsFileError as error:
        warn(f"pai: the new key was accepted but could not be stored: {error}")
        ctx.exit(EXIT_USAGE)
    record_use(config.home.root, new, ok=True)
    say(f"{variable}: {mask(new)} checked ({said}) and now in use for {provider}")
    if old:
        forget_use(config.home.root, old)
        say(f"retired {mask(old)} (removed from {store.path}); revoke it in the provider's "
            "console too")
    _environment_note(variable)
