"""discord.py's start-up warnings about PyNaCl and davey (voice audio) are not printed: the bot never joins
a voice channel's audio, and a voice round (server mutes over REST) needs neither."""

from __future__ import annotations

import logging

import discord

from adapters.discord.client import make_bot


async def _handler(interaction: discord.Interaction) -> None:
    return None


def test_building_the_bot_logs_no_voice_library_warning(caplog, monkeypatch) -> None:
    monkeypatch.setattr(discord.VoiceClient, "warn_nacl", True)  # as on a fresh start, libraries missing
    monkeypatch.setattr(discord.VoiceClient, "warn_dave", True)
    with caplog.at_level(logging.WARNING, logger="discord"):
        make_bot(words=None, handler=_handler, surface=(), application_id=1)
    assert [r.getMessage() for r in caplog.records if r.name.startswith("discord")] == []
