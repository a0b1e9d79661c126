"""A bilingual room through Discord: every post in the channel in Japanese and English, its buttons
labelled in both within Discord's 80 characters (the fake refuses more), and each person answered in
the language of their own Discord."""

from __future__ import annotations

from tests.fakes.discord_world import DiscordWorld


def labels(world: DiscordWorld) -> list[str]:
    return [
        item["label"]
        for sent in world.rest.in_channel(world.main.id)
        for row in sent.payload.get("components", [])
        for item in row.get("components", [])
        if "label" in item
    ]


def answered(answers) -> str:
    return "\n".join(answer.text() for answer in answers)


async def test_a_bilingual_room_through_discord(world: DiscordWorld):
    await world.command("alice", "event start", name="Tokyo Bridge Night", lang="ja,en")
    [start] = [text for text in world.channel_texts() if "has started" in text]
    assert "を開始しました。" in start and start.index("を開始しました") < start.index("has started")
    # Bob's Discord is Japanese, Carol's English: each is answered in that language alone.
    welcome = answered(await world.command("bob", "join", locale="ja"))
    assert "ようこそ" in welcome and "Welcome" not in welcome
    welcome = answered(await world.command("carol", "join", locale="en-US"))
    assert "Welcome" in welcome and "ようこそ" not in welcome

    speakers = f"{world.mention('bob')} {world.mention('carol')}"
    await world.command("alice", "turns start", people=speakers, order="given", minutes="1")
    assert any(
        f"{world.mention('bob')} さんの番です。" in t and f"{world.mention('bob')} has the floor" in t
        for t in world.channel_texts()
    )
    assert "次の人へ / Next" in labels(world)
    assert all(len(label) <= 80 for label in labels(world))
    await world.wait(minutes=1)
    assert any(f"Time's up, {world.mention('bob')}" in t for t in world.channel_texts())

    answers = await world.command("alice", "event end")  # the round is live: asked first, then confirmed
    [question] = [a for a in answers if a.kind == "followup"]
    await world.press("alice", next(cid for cid in question.custom_ids() if "event:end:" in cid))
    assert any("が終わりました" in t and "has ended" in t for t in world.channel_texts())
