"""The run sheet: the evening as steps the bot starts itself, each driving a ritual (bot/rituals/agenda)."""

from .router import router

__all__ = ["router"]
