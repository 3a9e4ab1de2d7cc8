"""pai: a personal AI cockpit in the terminal."""

__version__ = "0.1.0"
