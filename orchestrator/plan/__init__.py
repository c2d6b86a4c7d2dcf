"""One pure expansion of an experiment into stages and trial configs (used by running and by
reporting), and the registry of trainables with their config keys."""
