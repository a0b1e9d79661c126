"""How the engine's times read to people: a length like "1 min 30 s" or "1分30秒" in their language."""

from __future__ import annotations

from bot.router import Ctx


def length(ctx: Ctx, lang: str, seconds: int) -> str:
    minutes, rest = divmod(max(0, int(seconds)), 60)
    if minutes and rest:
        return ctx.t_in(lang, "core.duration.minutes_seconds", minutes=minutes, seconds=rest)
    if minutes:
        return ctx.t_in(lang, "core.duration.minutes", minutes=minutes)
    return ctx.t_in(lang, "core.duration.seconds", seconds=rest)
