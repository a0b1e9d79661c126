"""Tsunagari: the platform-neutral core that runs the connection rituals."""
