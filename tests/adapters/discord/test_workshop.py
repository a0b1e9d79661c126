"""A workshop through Discord interaction payloads: the real discord.py bot, the real core and database,
Discord faked locally (dpytest state, a REST fake, a recording webhook adapter)."""

from __future__ import annotations

from datetime import timedelta

from adapters.discord.render import MODAL_INPUTS_MAX
from tests.fakes.discord_world import BREAKOUT_ID, MAIN_ID, PEOPLE, DiscordWorld


def custom_ids(answers) -> list[str]:
    return [cid for answer in answers for cid in answer.custom_ids()]


async def test_a_workshop_runs_through_slash_commands_buttons_and_a_modal(world: DiscordWorld):
    # The facilitator starts the event: everyone in the channel sees it; the "thinking…" is tidied away.
    answers = await world.command("alice", "event start", name="Yorimichi January")
    assert answers[0].kind == "deferred" and answers[-1].method == "DELETE"
    assert any("**Yorimichi January** has started" in t for t in world.channel_texts())

    # A participant joins with a profile option; only they see the welcome, with its button.
    answers = await world.command("bob", "join", org="Fujitsu", languages="ja,en")
    [welcome] = [a for a in answers if a.kind == "followup"]
    assert welcome.ephemeral and "Welcome to **Yorimichi January**" in welcome.text()
    assert "Fujitsu" in welcome.text()
    [profile_button] = custom_ids([welcome])
    assert profile_button.startswith("people:profile:")

    # The button opens the profile form as a modal: the first and only answer to that press.
    answers = await world.press("bob", profile_button)
    [modal] = answers
    assert modal.kind == "modal"
    assert modal.data["custom_id"] == profile_button
    assert len(modal.data["title"]) <= 45 and 1 <= len(modal.data["components"]) <= MODAL_INPUTS_MAX

    # Submitting the modal updates the profile; the answer is private to bob.
    answers = await world.submit("bob", profile_button, {"organisation": "Kyoto City", "region": "Kansai"})
    [updated] = [a for a in answers if a.kind == "followup"]
    assert updated.ephemeral and "Kyoto City" in updated.text() and "Kansai" in updated.text()

    # A co-facilitator through a user option, then the event ends in the channel.
    await world.command("alice", "facilitators add", user="@carol")
    assert any(f"{world.mention('carol')} is now a co-facilitator" in t for t in world.channel_texts())
    await world.command("carol", "event end")
    assert any("**Yorimichi January** has ended" in t for t in world.channel_texts())


async def test_the_caller_locale_picks_the_language(world: DiscordWorld):
    answers = await world.command("bob", "help", locale="ja")
    text = "\n".join(a.text() for a in answers)
    assert any("\u3040" <= ch <= "\u30ff" for ch in text), text


async def test_a_mistake_is_answered_privately_in_words(world: DiscordWorld):
    answers = await world.command("bob", "event end")
    [error] = [a for a in answers if a.kind == "followup"]
    assert error.ephemeral and "no event in this channel" in error.text()
    assert world.channel_texts() == []


async def test_facilitator_only_commands_say_so_to_others(world: DiscordWorld):
    await world.command("alice", "event start", name="Yorimichi")
    answers = await world.command("bob", "event end")
    assert any("Only a facilitator" in a.text() for a in answers)


async def test_an_event_per_channel(world: DiscordWorld):
    await world.command("alice", "event start", name="Main room")
    await world.command("bob", "event start", name="Breakout", channel=world.breakout)
    assert any("Main room" in t for t in world.channel_texts(MAIN_ID))
    assert any("Breakout" in t for t in world.channel_texts(BREAKOUT_ID))


async def test_the_same_interaction_delivered_twice_acts_once(world: DiscordWorld):
    from tests.fakes import discord_payloads as payloads
    from tests.fakes.discord_world import APPLICATION_ID

    payload = payloads.slash_command(
        ["event", "start"],
        {"name": "Once"},
        application_id=APPLICATION_ID,
        user=world.users["alice"],
        channel=world.main,
        guild=world.guild,
    )
    world.adapter.bot._connection.parse_interaction_create(payload)
    await world.settle()
    world.adapter.bot._connection.parse_interaction_create(payload)
    await world.settle()
    assert sum("**Once** has started" in t for t in world.channel_texts()) == 1


async def test_a_button_posted_before_a_restart_still_works_after_it(world: DiscordWorld):
    await world.command("alice", "event start", name="Yorimichi")
    answers = await world.command("bob", "forget-me")
    [forget] = custom_ids(answers)
    assert forget.startswith("people:forget:")

    await world.restart()  # a new process: new bot, new view store, nothing in memory

    answers = await world.press("bob", forget)
    assert any("Everything Tsunagari held about you has been deleted" in a.text() for a in answers)


async def test_a_slow_core_is_deferred_and_followed_up(world: DiscordWorld):
    world.adapter.response_budget = 0  # the core never finishes inside the budget
    answers = await world.command("bob", "help")
    assert answers[0].kind == "deferred" and answers[0].ephemeral
    assert any(a.kind == "followup" and a.text() for a in answers[1:])


async def test_a_form_too_slow_for_a_modal_is_answered_in_words(world: DiscordWorld):
    await world.command("alice", "event start", name="Yorimichi")
    answers = await world.command("bob", "join")
    [button] = custom_ids(answers)
    world.adapter.response_budget = 0
    answers = await world.press("bob", button)
    assert answers[0].kind == "deferred_update"
    assert "modal" not in [a.kind for a in answers]
    assert any("took too long" in a.text() for a in answers)


async def test_people_are_known_by_their_discord_ids(world: DiscordWorld):
    await world.command("alice", "event start", name="Yorimichi")
    await world.command("bob", "join")
    await world.command("alice", "handover start", user="@bob")
    [offer] = world.rest.dms_to(PEOPLE["bob"])
    accept = next(cid for cid in offer.custom_ids() if "handover:accept:" in cid)
    await world.press("bob", accept, dm=True)
    assert any(
        f"<@{PEOPLE['alice']}> has handed **Yorimichi** over to <@{PEOPLE['bob']}>" in t
        for t in world.channel_texts()
    )


async def test_an_interaction_answered_too_late_still_delivers_what_the_core_did(world: DiscordWorld):
    world.inject_command("alice", "event start", name="Late but there")
    world.clock.advance(timedelta(seconds=4))  # the bot gets to it 4 s later: Discord answers 10062
    await world.settle()
    assert [code for _, code in world.webhooks.refusals] == [10062]
    assert any("**Late but there** has started" in t for t in world.channel_texts())


async def test_help_on_discord_names_each_command_as_discord_shows_it(world: DiscordWorld):
    """What a person reads in /tsunagari help is what they can pick in Discord's command menu."""
    await world.command("alice", "event start", name="Yorimichi")
    shown = "\n".join(a.text() for a in await world.command("alice", "help"))
    assert "/tsunagari turns start [people:@a @b …]" in shown
    assert "--minutes" not in shown
