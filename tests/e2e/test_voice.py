"""Voices with the real espeak-ng (and sox to measure them): each bundled agent's clip is a WAV
of plausible length that is not silence, no two agents sound alike, a finished agent run told on
the cockpit's bus becomes a clip, a missing player is said, and the speech thread's queue keeps
its promises (bounded, priority first, stop clears)."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pai_tui import events, spans
from pai_tui.agents.runs import RunRequest
from pai_tui.cockpit import Cockpit
from pai_tui.config import load_config
from pai_tui.paths import HomePaths
from pai_tui.voice.engines import CommandEngine, EspeakCommand
from pai_tui.voice.model import Utterance, Voice
from pai_tui.voice.speaker import Speaker
from tests.audio import apart, measure
from tests.conftest import KEYS, point_providers_at, run_pai, write_config
from tests.fakes.llm_server import FakeLLMServer, Reply

pytestmark = pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("sox")),
                                reason="needs espeak-ng and sox (scripts/system-deps.sh test)")

BUNDLED = ["architect", "designer", "engineer", "qa-tester", "red-teamer", "researcher"]


def folder_config(home: HomePaths, extra: str = "") -> Path:
    write_config(home, f'[voice]\nenabled = true\noutput = "folder"\n{extra}')
    return home.root / "voice"


def clips(folder: Path) -> dict[str, Path]:
    """Clip label (`architect-test`) -> file."""
    return {path.stem.split("-", 3)[3]: path for path in sorted(folder.glob("*.wav"))}


def test_each_bundled_agent_introduces_itself_in_a_voice_of_its_own(home: HomePaths) -> None:
    folder = folder_config(home)
    result = run_pai("voice", "test", timeout=120)
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr  # the bundled voices are all valid ids
    found = clips(folder)
    assert sorted(found) == sorted(f"{name}-test" for name in ["main", *BUNDLED])
    for path in found.values():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    measured = {name: measure(path) for name, path in found.items()}
    for name, clip in measured.items():
        assert 1.5 < clip.seconds < 12, (name, clip)  # "Hello, I am …": a few seconds
        assert clip.rms > 0.02, (name, clip)  # not silence
        assert 70 < clip.pitch < 400, (name, clip)  # a human voice's pitch
    # And the voices in the files are what is heard: a woman's variant speaks higher.
    assert measured["designer-test"].pitch > 1.5 * measured["red-teamer-test"].pitch


SENTENCE = "Hello. I am one of your agents, and this is how my voice sounds when I speak."


def test_no_two_bundled_agents_sound_alike(home: HomePaths, tmp_path: Path) -> None:
    """The same sentence in each voice: every two differ in pitch, pace or timbre by more
    than a listener's threshold."""
    measured = {}
    for name in ["main", *BUNDLED]:
        out = tmp_path / f"{name}.wav"
        agent = ["--agent", name] if name != "main" else []
        result = run_pai("say", *agent, "--out", str(out), SENTENCE)
        assert result.returncode == 0, result.stderr
        measured[name] = measure(out)
    for (a, clip_a), (b, clip_b) in itertools.combinations(measured.items(), 2):
        differences = (apart(clip_a.pitch, clip_b.pitch), apart(clip_a.seconds, clip_b.seconds),
                       apart(clip_a.brightness, clip_b.brightness))
        assert max(differences) > 0.08, f"{a} and {b} sound alike: {clip_a} vs {clip_b}"


def test_pai_say_writes_a_wav_in_an_agent_s_voice_and_refuses_an_unknown_voice(
        home: HomePaths, tmp_path: Path) -> None:
    out = tmp_path / "hello.wav"
    result = run_pai("say", "--agent", "designer", "--out", str(out), "Hello from the designer.")
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    clip = measure(out)
    assert clip.seconds > 1 and clip.rms > 0.02 and clip.pitch > 150  # f4: a high voice
    piped = run_pai("say", "--voice", "en-us+m3", "--out", str(tmp_path / "p.wav"),
                    input="Read from standard input.")
    assert piped.returncode == 0, piped.stderr
    assert measure(tmp_path / "p.wav").pitch < 150  # m3: a low voice
    bad = run_pai("say", "--voice", "klingon", "--out", str(tmp_path / "k.wav"), "hi")
    assert bad.returncode == 2 and "'klingon' is not a voice" in bad.stderr
    assert not (tmp_path / "k.wav").exists()
    nobody = run_pai("say", "--agent", "nobody", "hi")
    assert nobody.returncode == 2 and "no agent named 'nobody'" in nobody.stderr


def test_an_unknown_voice_in_an_agent_file_is_a_warning_naming_it(home: HomePaths) -> None:
    folder = folder_config(home)
    home.agents.mkdir(parents=True)
    (home.agents / "scout.md").write_text("---\nname: scout\ndescription: Looks around.\n"
                                          "voice: en-zz+m3\n---\nLook.\n")
    result = run_pai("voice", "test", "--agent", "scout", timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"{home.agents / 'scout.md'}:4: unknown voice 'en-zz+m3'" in result.stderr
    assert "derived from the name" in result.stdout  # and it still speaks
    assert list(clips(folder)) == ["scout-test"]


def test_pai_voice_list_json_lists_espeak_voices_and_variants(home: HomePaths) -> None:
    import json

    result = run_pai("voice", "list", "--json")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    ids = {(v["id"].lower(), v["kind"]) for v in listed}
    assert {("en-us", "voice"), ("en-gb-x-rp", "voice"), ("f3", "variant"),
            ("m7", "variant")} <= ids
    assert set(listed[0]) == {"id", "name", "gender", "kind"}


def test_a_missing_player_is_said_with_the_players_looked_for(home: HomePaths,
                                                             tmp_path: Path) -> None:
    only_espeak = tmp_path / "bin"
    only_espeak.mkdir()
    (only_espeak / "espeak-ng").symlink_to(shutil.which("espeak-ng"))  # type: ignore[arg-type]
    result = run_pai("say", "Can you hear me?", env={"PATH": str(only_espeak)})
    assert result.returncode == 1
    assert "no audio player found (looked for pw-play, paplay, aplay, ffplay" in result.stderr
    doctor = run_pai("doctor", env={"PATH": str(only_espeak), "COLUMNS": "400"})
    assert "no audio player found" in doctor.stdout and "alsa-utils" in doctor.stdout


def test_a_finished_agent_run_on_the_cockpit_s_bus_becomes_clips_in_the_folder(
        home: HomePaths, llm_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch) -> None:
    point_providers_at(home, llm_server, extra='[voice]\nenabled = true\noutput = "folder"\n')
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    llm_server.queue(Reply(text="Here is the design.\n\n```\ncode\n```\n\n"
                                "🗣️ The export design is ready.\n"))
    config = load_config(home)
    cockpit = Cockpit(config)
    speech: list[events.SpanStarted] = []
    cockpit.bus.subscribe(events.SpanStarted,
                          lambda e: speech.append(e) if e.kind == "speech" else None)
    try:
        assert cockpit.voice.start() is None
        assert "pai_tui.voice.engines" in __import__("sys").modules

        async def run() -> tuple[str, int]:
            catalog = await cockpit.agents.catalog()
            architect = catalog.get("architect")
            assert architect is not None
            result = await cockpit.agents.run(RunRequest(architect, "Design the export feature"))
            return result.status, result.answer.id

        status, run_id = asyncio.run(run())
        assert status == "complete"
        assert cockpit.voice.speaker is not None and cockpit.voice.speaker.wait(60)
    finally:
        cockpit.close()
    found = clips(home.root / "voice")
    assert sorted(found) == ["architect-finish", "architect-start"]
    assert measure(found["architect-start"]).rms > 0.02
    said = sorted(e.attributes[spans.SPEECH_KIND] for e in speech)
    assert said == ["finish", "start"]
    assert all(e.agent == "architect" and e.parent_span_id for e in speech)  # in its timeline
    assert stat.S_IMODE((home.root / "voice").stat().st_mode) == 0o700
    trace = run_pai("trace", str(run_id), env={"COLUMNS": "200"})  # the run's timeline
    assert trace.returncode == 0, trace.stderr
    assert "speech architect (start, en-gb-x-rp+m3)" in trace.stdout
    assert "speech architect (finish, en-gb-x-rp+m3)" in trace.stdout
    assert "s of audio" in trace.stdout


# --- the speech thread ---------------------------------------------------------------------

def slow_engine(tmp_path: Path, seconds: float) -> CommandEngine:
    """A user's command (a real program): waits, then writes a real espeak-ng clip."""
    sample = tmp_path / "sample.wav"
    asyncio.run(EspeakCommand().synthesize("tick", Voice("en-us"), sample))
    return CommandEngine(["sh", "-c", f"cat >/dev/null; sleep {seconds}; cp {sample} \"$0\"",
                          "{out}"])


def spoken(bus: events.Bus) -> tuple[list[str], list[str], threading.Event]:
    """The texts whose speech began, how each ended, and an event set at the first start."""
    began: list[str] = []
    ended: list[str] = []
    first = threading.Event()
    texts: dict[str, str] = {}

    def on_start(event: events.SpanStarted) -> None:
        if event.kind == "speech":
            texts[event.span_id] = event.attributes[spans.SPEECH_CHARS]
            began.append(event.span_id)
            first.set()

    bus.subscribe(events.SpanStarted, on_start)
    bus.subscribe(events.SpanEnded, lambda e: ended.append(e.status)
                  if e.span_id in texts else None)
    return began, ended, first


def test_the_queue_is_bounded_drops_the_oldest_and_says_questions_first(
        tmp_path: Path) -> None:
    bus = events.Bus()
    order: list[str] = []
    bus.subscribe(events.SpanStarted, lambda e: order.append(e.name) if e.kind == "speech"
                  else None)
    speaker = Speaker(slow_engine(tmp_path, 0.4), tmp_path / "out", bus, max_queue=3)
    try:
        voice = Voice("en-us")
        speaker.say(Utterance("first", voice, agent="a0"))
        deadline = time.monotonic() + 5
        while not order and time.monotonic() < deadline:
            time.sleep(0.01)
        for n in range(1, 6):  # 5 more while the first is said: 3 fit
            speaker.say(Utterance(f"n{n}", voice, agent=f"a{n}"))
        speaker.say(Utterance("may I?", voice, agent="asker", kind="permission", priority=True))
        assert speaker.wait(20)
    finally:
        speaker.close()
    assert order == ["speech a0", "speech asker", "speech a4", "speech a5"]
    assert speaker.dropped == 3 and len(list((tmp_path / "out").glob("*.wav"))) == 4


def test_stop_ends_the_clip_being_made_and_clears_the_queue(tmp_path: Path) -> None:
    bus = events.Bus()
    began, ended, first = spoken(bus)
    speaker = Speaker(slow_engine(tmp_path, 30), tmp_path / "out", bus)
    try:
        for n in range(4):
            speaker.say(Utterance(f"n{n}", Voice("en-us")))
        assert first.wait(5)
        started = time.monotonic()
        assert speaker.stop() == 3
        assert speaker.wait(5) and time.monotonic() - started < 5  # not the 30 s
    finally:
        speaker.close()
    assert len(began) == 1 and ended == ["cancelled"]
    assert not list((tmp_path / "out").glob("*.wav"))


def test_a_stale_utterance_is_dropped_not_said(tmp_path: Path) -> None:
    bus = events.Bus()
    began, _, _ = spoken(bus)
    speaker = Speaker(EspeakCommand(), tmp_path / "out", bus, max_age=5)
    try:
        old = Utterance("too late", Voice("en-us"), queued_at=time.monotonic() - 60)
        speaker.say(old)
        speaker.say(Utterance("in time", Voice("en-us")))
        assert speaker.wait(20)
    finally:
        speaker.close()
    assert len(began) == 1 and speaker.dropped == 1 and speaker.spoken == 1


# --- playback on a machine without a sound card ----------------------------------------------

@pytest.fixture
def null_sink(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A PulseAudio server of the test's own with one null sink (no sound card needed); the
    environment that reaches it."""
    if not (shutil.which("pulseaudio") and shutil.which("paplay") and shutil.which("parec")):
        missing = "needs pulseaudio and pulseaudio-utils (scripts/system-deps.sh test)"
        if os.environ.get("PAI_REQUIRE_AUDIO"):  # CI installs them: missing there is a failure
            pytest.fail(missing)
        pytest.skip(missing)
    runtime = tmp_path / "pulse"
    runtime.mkdir(mode=0o700)
    socket = runtime / "native"
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "HOME": str(runtime),
           "PULSE_SERVER": f"unix:{socket}"}
    server = subprocess.Popen(
        ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--disable-shm=yes",
         f"--load=module-native-protocol-unix socket={socket} auth-anonymous=1",
         "--load=module-null-sink sink_name=pai_null"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while not socket.exists():
            assert server.poll() is None, server.stderr.read().decode()  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "pulseaudio did not start"
            time.sleep(0.05)
        yield {key: env[key] for key in ("XDG_RUNTIME_DIR", "PULSE_SERVER")}
    finally:
        server.terminate()
        server.wait(10)


def test_a_clip_is_played_through_paplay_and_heard_on_the_null_sink(
        home: HomePaths, tmp_path: Path, null_sink: dict[str, str]) -> None:
    """The playback path end to end: `pai say` finds paplay (the first player on this PATH),
    which plays to the null sink; its monitor, recorded, holds speech, not silence."""
    players = tmp_path / "bin"
    players.mkdir()
    for program in ("espeak-ng", "paplay"):
        (players / program).symlink_to(shutil.which(program))  # type: ignore[arg-type]
    recording = tmp_path / "heard.wav"
    env = {**os.environ, **null_sink}
    recorder = subprocess.Popen(["parec", "-d", "pai_null.monitor", "--file-format=wav",
                                 str(recording)], env=env)
    try:
        time.sleep(0.3)  # the recorder connected before the clip begins
        result = run_pai("say", "--agent", "architect", "This is played, and recorded back.",
                         env={**null_sink, "PATH": str(players)})
        assert result.returncode == 0, result.stderr
        time.sleep(0.3)
    finally:
        recorder.terminate()
        recorder.wait(10)
    heard = measure(recording)
    assert heard.seconds > 1.5 and heard.rms > 0.01, heard


def test_pai_agent_run_says_the_start_and_the_finish_when_voice_is_on(
        home: HomePaths, server: FakeLLMServer) -> None:
    point_providers_at(home, server, extra='[voice]\nenabled = true\noutput = "folder"\n')
    server.queue(Reply(text="Three risks.\n\n🗣️ Three risks found, the first is the deadline."))
    result = run_pai("agent", "run", "red-teamer", "attack my plan", env=KEYS)
    assert result.returncode == 0, result.stderr
    found = clips(home.root / "voice")
    assert sorted(found) == ["red-teamer-finish", "red-teamer-start"]
    assert measure(found["red-teamer-finish"]).seconds > 2.5  # the 🗣️ line, not "Three risks."
