"""Turns: a timed round in which each person has the floor for a few minutes while the others listen."""

from .controls import router

__all__ = ["router"]
