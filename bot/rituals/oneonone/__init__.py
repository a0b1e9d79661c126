"""One-on-ones: two people take timed turns from a template, then each writes down an action."""

from .session import router

__all__ = ["router"]
