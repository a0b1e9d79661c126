"""The dialogue rituals of a connection workshop: turns, barriers, pairing, one-on-ones, nudges."""
