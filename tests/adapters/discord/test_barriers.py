"""The anonymous barrier board on Discord: sharing leaves no trace in the channel, the form is a modal
with a select, and the board message is edited in place as cards come in."""

from __future__ import annotations

from tests.fakes.discord_world import MAIN_ID, DiscordWorld


async def test_barriers_are_shared_anonymously_and_the_board_updates_in_place(world: DiscordWorld):
    await world.command("alice", "event start", name="Yorimichi")
    for person in ("bob", "carol"):
        await world.command(person, "join")
    await world.command("alice", "barriers open", min=2)
    [board] = [s for s in world.rest.in_channel(MAIN_ID) if "Cards in: 0" in s.text()]
    [share_button] = [c for c in board.custom_ids() if c.startswith("barriers:form:")]

    # By command: only bob sees the answer; the words never reach the channel.
    answers = await world.command(
        "bob", "barriers share", text="I am afraid to look foolish", category="fear"
    )
    assert any(a.ephemeral and "Your card is in" in a.text() for a in answers)
    assert all(a.ephemeral for a in answers if a.kind == "followup")
    assert not any("afraid" in t for t in world.channel_texts())

    # By form: a modal with a text input and a category select, then a private answer.
    [modal] = await world.press("carol", share_button)
    assert modal.kind == "modal"
    kinds = [c["component"]["type"] for c in modal.data["components"]]
    assert kinds == [4, 3]  # a paragraph and a select
    answers = await world.submit(
        "carol",
        modal.data["custom_id"],
        {"text": "Nobody here talks about loneliness", "category": ["taboo"]},
    )
    assert any("Your card is in (Taboo and stigma)" in a.text() for a in answers)

    # The board's count moves on its one-minute grid: the same message is edited, not a new one posted.
    await world.wait(minutes=2)
    assert board.edits and "Cards in: 2" in board.text()
    assert not any("loneliness" in t for t in world.channel_texts())

    # Revealed together, shuffled, with nobody's name.
    await world.command("alice", "barriers reveal")
    cards = [t for t in world.channel_texts() if "afraid to look foolish" in t or "loneliness" in t]
    assert cards and "afraid to look foolish" in "".join(cards) and "loneliness" in "".join(cards)
    for text in cards:
        assert world.mention("bob") not in text and world.mention("carol") not in text


async def test_a_category_in_many_parts_keeps_each_part_right_through_votes_and_close(world: DiscordWorld):
    """50 cards of ~1,000 characters: one category spans many Discord messages. Each part must show its
    own cards with fresh counts, and after the close no part may keep a live "Me too" button."""
    await world.command("alice", "event start", name="Yorimichi")
    for person in ("bob", "carol", "dan"):
        await world.command(person, "join")
    await world.command("alice", "barriers open", min=2)
    for n in range(50):
        words = f"Card{n:02d}end " + " ".join(["fear of looking foolish in front of others"] * 21)
        await world.command("bob", "barriers share", text=words[:1000], category="fear")
    await world.wait(minutes=1)  # the reveal goes by the count the board shows, which moves once a minute
    await world.command("alice", "barriers reveal")

    def parts() -> list:
        return [s for s in world.rest.in_channel(MAIN_ID) if "Card" in s.content and "end " in s.content]

    revealed = parts()
    assert len(revealed) >= 20  # ~47,000 characters in messages of at most 2,000
    number_of = {}  # card marker -> the number the reveal gave it
    for sent in revealed:
        for line in sent.content.split("\n"):
            if "end " in line and line.startswith("**#"):
                number_of[line.split("** ", 1)[1][:9]] = int(line[3:].split("**", 1)[0])
    assert len(number_of) == 50

    def numbers_in(sent) -> list[int]:
        return [int(line[3:].split("**")[0]) for line in sent.content.split("\n") if line.startswith("**#")]

    second, last = numbers_in(revealed[1])[0], numbers_in(revealed[-1])[-1]
    buttons = {b for sent in revealed for b in sent.custom_ids() if b.startswith("barriers:metoo:")}
    assert len(buttons) == 50
    by_label = {
        c["label"]: c["custom_id"]
        for sent in revealed
        for row in sent.payload.get("components", [])
        for c in row["components"]
    }
    await world.press("carol", by_label[f"Me too #{second}"])
    await world.press("dan", by_label[f"Me too #{second}"])
    await world.press("carol", by_label[f"Me too #{last}"])
    await world.wait(minutes=2)  # the counts refresh on the board's one-minute grid

    now = parts()
    assert [s.message_id for s in now] == [s.message_id for s in revealed]  # edited in place, none added
    assert all(s.content.count("**#") >= 1 for s in now)  # no part blanked or repeated
    seen = [n for s in now for n in numbers_in(s)]
    assert sorted(seen) == list(range(1, 51))  # every card shown exactly once across the parts

    def count_line(sent, number: int) -> str:
        lines = sent.content.split("\n")
        at = next(i for i, line in enumerate(lines) if line.startswith(f"**#{number}**"))
        return lines[at + 1].strip()

    assert count_line(now[1], second) == "Me too: 2"
    assert count_line(now[-1], last) == "Me too: 1"
    assert len({b for s in now for b in s.custom_ids()}) == 50  # the buttons still all there, once each

    await world.restart()  # every part's id comes back from the database
    await world.command("alice", "barriers close")
    closed = parts()
    assert [s.message_id for s in closed] == [s.message_id for s in revealed]
    for sent in closed:  # every part: its own cards, final counts, and no button left to press
        assert sent.custom_ids() == []
        assert numbers_in(sent)
    assert sorted(n for s in closed for n in numbers_in(s)) == list(range(1, 51))
    assert count_line(closed[1], second) == "Me too: 2"
    assert count_line(closed[-1], last) == "Me too: 1"
