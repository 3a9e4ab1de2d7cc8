"""Voices: every agent, and the main assistant, speaks in a voice of its own, offline.

    model.py     a Voice (engine id, rate, pitch, volume), an utterance, VoiceError
    engines.py   pyttsx3 (espeak-ng), the `espeak-ng` command, a user `command`: text -> WAV
    players.py   the first audio player found, or a folder of clips
    lines.py     what of an answer is spoken (a pure function)
    voices.py    who speaks in which voice (files, config, derived from the name), validated
    speaker.py   the one speech thread: a bounded queue, priority, stop-and-clear
    narrator.py  the bus subscriber turning events into utterances
    service.py   what the cockpit holds: started on demand, muted, its status in words

Only this package imports pyttsx3, and nothing here is imported until voice is used.
"""
