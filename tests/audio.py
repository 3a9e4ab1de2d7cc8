"""Measuring speech clips the way a listener would notice a difference: length, loudness and
the voice's pitch (median fundamental frequency). Never by hash: espeak-ng's output is not
byte-for-byte the same from one run to the next."""

from __future__ import annotations

import array
import statistics
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

RATE = 8000  # Hz the clip is resampled to for the pitch estimate


@dataclass(frozen=True)
class Clip:
    seconds: float
    rms: float  # 0..1
    pitch: float  # Hz, median over the voiced frames; 0 when none is found
    brightness: float  # sox's "rough frequency" (Hz): the timbre of the voice and accent


def measure(path: Path) -> Clip:
    with wave.open(str(path), "rb") as wav:  # a valid WAV, or this raises
        seconds = wav.getnframes() / wav.getframerate()
    stat = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True,
                          check=True).stderr
    def value(name: str) -> float:
        return next(float(line.split(":")[1]) for line in stat.splitlines()
                    if line.startswith(name))

    return Clip(seconds, value("RMS     amplitude"), median_pitch(path),
                value("Rough   frequency"))


def median_pitch(path: Path) -> float:
    """Autocorrelation over loud frames, 50..500 Hz."""
    raw = subprocess.run(["sox", str(path), "-t", "raw", "-r", str(RATE), "-c", "1", "-b", "16",
                          "-e", "signed", "-"], capture_output=True, check=True).stdout
    samples = array.array("h", raw)
    if not samples:
        return 0.0
    frame, longest = 400, RATE // 50
    loud = max(abs(s) for s in samples) * 0.3
    found = []
    for start in range(0, len(samples) - frame - longest, frame):
        window = samples[start:start + frame + longest]
        if max(abs(s) for s in window[:frame]) < loud:
            continue
        energy = sum(s * s for s in window[:frame])
        best, best_lag = 0, 0
        for lag in range(RATE // 500, longest):
            score = sum(window[i] * window[i + lag] for i in range(frame))
            if score > best:
                best, best_lag = score, lag
        if best_lag and best > 0.3 * energy:
            found.append(RATE / best_lag)
    return statistics.median(found) if found else 0.0


def apart(a: float, b: float) -> float:
    """How far apart two measures are, relative to the larger."""
    return abs(a - b) / max(a, b, 1e-9)
