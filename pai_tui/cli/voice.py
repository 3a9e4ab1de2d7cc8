"""`pai voice list|test` and `pai say`: the engine's voices, each agent introducing itself in its
voice, and any text said (or written to a WAV file) in any voice."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import click

from pai_tui.cli import config_for
from pai_tui.cli.output import say, say_json, warn
from pai_tui.config import Config
from pai_tui.voice.engines import Engine, make_engine
from pai_tui.voice.model import Utterance, Voice, VoiceError
from pai_tui.voice.narrator import spoken_name
from pai_tui.voice.service import load_book, output_for
from pai_tui.voice.speaker import Speaker
from pai_tui.voice.voices import KnownVoices, VoiceBook

EXIT_UNAVAILABLE = 1
SAY_TIMEOUT = 600.0  # seconds a command waits for its clips to be said


def _quiet_log() -> None:
    """What fails is said on stderr by the command itself, once (not again by logging's
    last-resort handler)."""
    import logging

    logging.getLogger("pai_tui.voice").addHandler(logging.NullHandler())


def _engine(ctx: click.Context, config: Config) -> Engine:
    _quiet_log()
    engine = make_engine(config.voice)
    problem = engine.problem()
    if problem:
        warn(f"pai: voice unavailable: {problem}")
        ctx.exit(EXIT_UNAVAILABLE)
    return engine


def _speaker(ctx: click.Context, config: Config, engine: Engine) -> Speaker:
    """A speaker for this command: the player found, or the folder of [voice] output."""
    from pai_tui import events

    output = output_for(config.voice, config.home.root)
    if isinstance(output, str):
        warn(f"pai: voice unavailable: {output}")
        ctx.exit(EXIT_UNAVAILABLE)
    assert not isinstance(output, str)
    return Speaker(engine, output, events.Bus(), max_queue=1000, max_age=SAY_TIMEOUT)


def _book(config: Config, engine: Engine) -> VoiceBook:
    book = load_book(config, engine)
    for warning in book.warnings:
        warn(f"pai: warning: {warning}")
    return book


@click.group("voice")
def voice() -> None:
    """Voices: every agent speaks in its own, offline (espeak-ng).

    Turn speaking on in config.toml ([voice] enabled = true) or with alt+v in the cockpit.
    """


@voice.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array: id, name, gender, kind.")
@click.pass_context
def list_voices(ctx: click.Context, as_json: bool) -> None:
    """The engine's voices and variants (a voice id is VOICE or VOICE+VARIANT: en-us+f3)."""
    config = config_for(ctx)
    engine = _engine(ctx, config)
    listed = engine.voices()
    if as_json:
        say_json([{"id": v.id, "name": v.name, "gender": v.gender, "kind": v.kind}
                  for v in listed])
        return
    if not listed:
        say(f"the {engine.name} engine does not list its voices (any id is passed on)")
        return
    for kind in ("voice", "variant"):
        chosen = [v for v in listed if v.kind == kind]
        say(f"{len(chosen)} {kind}s" + (" (add one with +: en-us+f3)" if kind == "variant"
                                        else ""))
        for v in chosen:
            say(f"  {v.id:<22} {v.gender or '-':<2} {v.name}")


@voice.command("test")
@click.option("--agent", "agent_name", metavar="NAME", help="Only this agent.")
@click.pass_context
def test_voices(ctx: click.Context, agent_name: str | None) -> None:
    """Each agent (and the main assistant) introduces itself in its voice."""
    from pai_tui.agents.catalog import load_catalog

    config = config_for(ctx)
    engine = _engine(ctx, config)
    catalog = load_catalog(config)
    book = _book(config, engine)
    agents = list(catalog)
    if agent_name is not None:
        found = catalog.get(agent_name)
        if found is None:
            warn(f"pai: no agent named {agent_name!r} (pai agent list shows them)")
            ctx.exit(2)
        agents = [found]
    speaker = _speaker(ctx, config, engine)
    try:
        if agent_name is None:
            _introduce(speaker, book, None, "Hello, I am pai, your assistant.", "main")
        for agent in agents:
            who = agent.persona.name if agent.persona else spoken_name(agent.name)
            title = f", {agent.persona.title}" if agent.persona and agent.persona.title else ""
            _introduce(speaker, book, agent.name,
                       f"Hello, I am {who}{title}, the {spoken_name(agent.name)}.",
                       book.sources.get(agent.key, ""))
        speaker.wait(SAY_TIMEOUT)
    finally:
        speaker.close()
    _report(speaker)


def _introduce(speaker: Speaker, book: VoiceBook, agent: str | None, text: str,
               source: str) -> None:
    voice = book.voice_for(agent)
    say(f"{agent or 'main':<16} {voice.id:<22} rate {voice.rate} pitch {voice.pitch} "
        f"volume {voice.volume:g}  ({source})")
    speaker.say(Utterance(text, voice, "test", agent))


def _report(speaker: Speaker) -> None:
    for clip in speaker.kept:
        say(f"wrote {clip}")
    if speaker.last_error:
        warn(f"pai: voice failed: {speaker.last_error}")
        sys.exit(EXIT_UNAVAILABLE)


@click.command("say")
@click.option("--agent", "agent_name", metavar="NAME", help="In this agent's voice.")
@click.option("--voice", "voice_id", metavar="ID", help="In this engine voice (pai voice list).")
@click.option("--out", "out", metavar="FILE.wav", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a WAV file instead of playing it.")
@click.argument("text", required=False)
@click.pass_context
def say_command(ctx: click.Context, agent_name: str | None, voice_id: str | None,
                out: Path | None, text: str | None) -> None:
    """Say TEXT (or what stdin holds) in the main voice, an agent's or any voice id.

    Plays it with the first audio player found (or writes it to [voice] folder), or writes
    FILE.wav with --out.
    """
    config = config_for(ctx)  # a broken config.toml is said first, as by every command
    if agent_name and voice_id:
        raise click.UsageError("give --agent or --voice, not both")
    if text is None and not sys.stdin.isatty():
        text = sys.stdin.read()
    if not text or not text.strip():
        raise click.UsageError("nothing to say: give TEXT, or pipe it on stdin")
    engine = _engine(ctx, config)
    if voice_id is not None:
        problem = KnownVoices.of(engine.voices()).problem(voice_id)
        if problem:
            warn(f"pai: --voice {voice_id}: {problem}")
            ctx.exit(2)
        voice = Voice(voice_id)
    else:
        book = _book(config, engine)
        if agent_name is not None:
            from pai_tui.agents.catalog import load_catalog

            if load_catalog(config).get(agent_name) is None:
                warn(f"pai: no agent named {agent_name!r} (pai agent list shows them)")
                ctx.exit(2)
        voice = book.voice_for(agent_name)
    if out is not None:
        _write(ctx, engine, text.strip(), voice, out)
        return
    speaker = _speaker(ctx, config, engine)
    try:
        speaker.say(Utterance(text.strip(), voice, "test", agent_name))
        speaker.wait(SAY_TIMEOUT)
    finally:
        speaker.close()
    _report(speaker)


def _write(ctx: click.Context, engine: Engine, text: str, voice: Voice, out: Path) -> None:
    """The clip as `out` (mode 600), written whole or not at all."""
    temporary = out.with_name(f".{out.name}.pai-{os.getpid()}.wav")
    try:
        written = asyncio.run(engine.synthesize(text, voice, temporary))
        if not written:
            warn(f"pai: the {engine.name} engine played the text itself: no file to write")
            ctx.exit(EXIT_UNAVAILABLE)
        os.chmod(temporary, 0o600)
        os.replace(temporary, out)
    except (VoiceError, OSError) as error:
        warn(f"pai: could not write {out}: {error}")
        ctx.exit(EXIT_UNAVAILABLE)
    finally:
        temporary.unlink(missing_ok=True)
    say(f"wrote {out}")
