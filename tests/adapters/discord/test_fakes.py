"""The Discord fakes refuse what Discord refuses: one test per rule, each sending a wrong payload through
discord.py's own HTTP client or interaction objects and getting Discord's error code back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import discord
import pytest
from discord.http import MultipartParameters

from tests.fakes import discord_payloads as payloads
from tests.fakes.discord_world import APPLICATION_ID, MAIN_ID, DiscordWorld


async def _send(world: DiscordWorld, payload: dict[str, Any]) -> dict[str, Any]:
    params = MultipartParameters(payload=payload, multipart=None, files=None)
    return await world.adapter.bot.http.send_message(MAIN_ID, params=params)


def _row(count: int, prefix: str = "b") -> dict[str, Any]:
    return {
        "type": 1,
        "components": [
            {"type": 2, "style": 2, "label": "x", "custom_id": f"{prefix}:{i}"} for i in range(count)
        ],
    }


def _embed(**fields: Any) -> dict[str, Any]:
    return {"type": "rich", **fields}


RIGHT = {"content": "hello", "components": [_row(5)] * 5, "embeds": [_embed(title="t" * 256)]}

WRONG = {
    "content over 2,000": {"content": "x" * 2001},
    "six action rows": {"content": "x", "components": [_row(1)] * 6},
    "six buttons in a row": {"content": "x", "components": [_row(6)]},
    "custom_id over 100": {"content": "x", "components": [_row(1, "c" * 100)]},
    "empty custom_id": {
        "content": "x",
        "components": [{"type": 1, "components": [{"type": 2, "style": 2, "label": "x", "custom_id": ""}]}],
    },
    "eleven embeds": {"embeds": [_embed(title="t")] * 11},
    "embed title over 256": {"embeds": [_embed(title="t" * 257)]},
    "embed description over 4,096": {"embeds": [_embed(description="d" * 4097)]},
    "26 fields": {"embeds": [_embed(fields=[{"name": "n", "value": "v"}] * 26)]},
    "field value over 1,024": {"embeds": [_embed(fields=[{"name": "n", "value": "v" * 1025}])]},
    "over 6,000 across embeds": {"embeds": [_embed(description="d" * 4000), _embed(description="d" * 2001)]},
}


async def test_a_message_within_every_limit_is_sent(world: DiscordWorld):
    await _send(world, RIGHT)
    assert world.rest.in_channel(MAIN_ID)[-1].content == "hello"


@pytest.mark.parametrize("case", sorted(WRONG))
async def test_a_message_over_a_limit_is_refused_with_50035(world: DiscordWorld, case: str):
    with pytest.raises(discord.HTTPException) as refused:
        await _send(world, WRONG[case])
    assert refused.value.status == 400 and refused.value.code == 50035
    assert world.rest.in_channel(MAIN_ID) == []


@pytest.mark.parametrize("body", [{}, {"content": ""}, {"content": "   "}, {"embeds": [], "components": []}])
async def test_an_empty_message_is_refused_with_50006(world: DiscordWorld, body: dict[str, Any]):
    with pytest.raises(discord.HTTPException) as refused:
        await _send(world, body)
    assert refused.value.code == 50006


async def test_an_edit_that_would_leave_a_message_empty_is_refused(world: DiscordWorld):
    sent = await world.adapter.bot.get_partial_messageable(MAIN_ID).send("hello")
    with pytest.raises(discord.HTTPException) as refused:
        await sent.edit(content=None, embeds=[], view=None)
    assert refused.value.code == 50006
    with pytest.raises(discord.HTTPException) as refused:
        await sent.edit(content="x" * 2001)
    assert refused.value.code == 50035
    assert world.rest.in_channel(MAIN_ID)[0].content == "hello"


@pytest.mark.parametrize("global_limit", [False, True])
async def test_a_429_carries_what_discord_sends_and_discord_py_retries_it(
    world: DiscordWorld, global_limit: bool
):
    world.rest.too_many_requests, world.rest.global_limit = 1, global_limit
    await world.adapter.bot.get_partial_messageable(MAIN_ID).send("after the wait")
    assert len(world.rest.requests) == 2  # discord.py read retry_after, slept and tried again
    assert world.rest.in_channel(MAIN_ID)[0].content == "after the wait"


# -- interactions: 3 seconds to answer, once; 15 minutes of follow-ups ---------------------------------


def _interaction(world: DiscordWorld) -> discord.Interaction:
    """An interaction that has just reached the bot, not handed to the adapter: the test answers it."""
    data = payloads.button_press(
        "nothing:here:1",
        application_id=APPLICATION_ID,
        user=world.users["bob"],
        channel=world.main,
        guild=world.guild,
    )
    world.webhooks.arrived(data["token"])
    return discord.Interaction(data=data, state=world.adapter.bot._connection)


async def test_an_interaction_answered_within_3_seconds_works_and_after_fails_with_10062(world: DiscordWorld):
    on_time = _interaction(world)
    world.clock.advance(timedelta(seconds=3))
    await on_time.response.send_message("in time")
    late = _interaction(world)
    world.clock.advance(timedelta(seconds=3, milliseconds=1))
    with pytest.raises(discord.NotFound) as refused:
        await late.response.send_message("too late")
    assert refused.value.code == 10062


async def test_an_interaction_answered_twice_fails_with_40060(world: DiscordWorld):
    interaction = _interaction(world)
    await interaction.response.defer()
    interaction.response._response_type = None  # what a second process (or a bug) answering again would do
    with pytest.raises(discord.HTTPException) as refused:
        await interaction.response.send_message("again")
    assert refused.value.code == 40060


async def test_follow_ups_work_for_15_minutes_then_fail(world: DiscordWorld):
    interaction = _interaction(world)
    with pytest.raises(discord.NotFound) as refused:  # nothing answered yet: there is no webhook
        await interaction.followup.send("before the answer")
    assert refused.value.code == 10015
    await interaction.response.defer(ephemeral=True, thinking=True)
    world.clock.advance(timedelta(minutes=15))
    await interaction.followup.send("still in time", ephemeral=True)
    world.clock.advance(timedelta(seconds=1))
    with pytest.raises(discord.HTTPException) as refused:
        await interaction.followup.send("too late", ephemeral=True)
    assert refused.value.status == 401 and refused.value.code == 50027


async def test_an_interaction_answer_over_a_limit_is_refused(world: DiscordWorld):
    interaction = _interaction(world)
    with pytest.raises(discord.HTTPException) as refused:
        await interaction.response.send_message("x" * 2001)
    assert refused.value.code == 50035
    interaction = _interaction(world)
    await interaction.response.defer()
    with pytest.raises(discord.HTTPException) as refused:
        await interaction.followup.send("y" * 2001)
    assert refused.value.code == 50035


async def test_a_modal_with_a_title_over_45_is_refused(world: DiscordWorld):
    interaction = _interaction(world)
    modal = discord.ui.Modal(title="t" * 46, custom_id="barriers:share:1")
    modal.add_item(discord.ui.TextInput(label="words", custom_id="text"))
    with pytest.raises(discord.HTTPException) as refused:
        await interaction.response.send_modal(modal)
    assert refused.value.code == 50035
