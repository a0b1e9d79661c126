"""The reveal: all cards at once, in an order nobody can predict, grouped by category with counts."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from bot.rituals.barriers import crypto
from tests.support import Chat

CARDS = [f"Card {word}: something that makes connection hard" for word in "ABCDEFGHIJ"]


async def _one_run(database_url: str, start_time) -> tuple[str, ...]:  # noqa: ANN001
    """A whole workshop on a fresh database: ten cards in one category, revealed; the order people see."""
    chat = Chat(database_url, start_time)
    await chat.start()
    try:
        await chat.say("alice", 'event start "Yorimichi" --lang en')
        await chat.say("bob", "join")
        await chat.say("alice", "barriers open")
        for text in CARDS:
            await chat.say("bob", f'barriers share "{text}" --category bias')
        await chat.wait(minutes=1)
        seen = await chat.say("alice", "barriers reveal")
    finally:
        await chat.close()
    return tuple(line.split("| ", 1)[1].split(" ", 1)[1][:6] for line in seen if "| #" in line)


def test_the_shuffle_draws_from_the_operating_systems_csprng() -> None:
    assert isinstance(crypto._random, secrets.SystemRandom)
    assert len(set(crypto.new_card_id() for _ in range(1000))) == 1000


async def test_two_reveals_of_the_same_cards_in_different_runs_come_out_in_different_orders(
    tmp_path: Path, start_time
) -> None:  # noqa: ANN001
    # Three runs of ten cards: all three orders equal by chance has probability (1/10!)^2, about 1e-13.
    orders = [await _one_run(f"sqlite+aiosqlite:///{tmp_path / f'run{i}.db'}", start_time) for i in range(3)]
    for order in orders:
        assert sorted(order) == sorted(text[:6] for text in CARDS), "every card is shown, once"
    assert len(set(orders)) >= 2


@pytest.mark.db
async def test_cards_are_grouped_by_category_with_counts_and_numbered_in_the_order_shown(chat: Chat) -> None:
    await chat.say("alice", 'event start "Yorimichi" --lang en')
    await chat.say("bob", "join")
    await chat.say("alice", "barriers open --min 4")
    await chat.say("bob", 'barriers share "alone in my silo" --category isolation')
    await chat.say("bob", 'barriers share "afraid to ask" --category fear')
    await chat.say("bob", 'barriers share "afraid to be judged" --category fear')
    await chat.wait(minutes=1)
    refused = await chat.say("alice", "barriers reveal")
    assert any("shows at least 4, and it shows 3" in line for line in refused), (
        "three are not enough for --min 4"
    )
    await chat.say("bob", 'barriers share "uncategorised worry"')
    await chat.wait(minutes=1)
    seen = await chat.say("alice", "barriers reveal")
    public = [line.split("| ", 1)[1] for line in seen if line.split("|")[0].strip().endswith("#main")]
    titles = [line for line in public if " · " in line]
    assert titles == ["Expectation and fear · 2", "Institutional isolation · 1", "Something else · 1"]
    numbers = [line.split(" ", 1)[0] for line in public if line.startswith("#")]
    assert numbers == ["#1", "#2", "#3", "#4"]
    again = await chat.say("alice", "barriers reveal")
    assert any("already revealed (4 of them)" in line for line in again)


@pytest.mark.db
async def test_retrying_reveal_before_the_board_counts_again_gets_the_answer_it_got_at_zero_cards(
    chat: Chat,
) -> None:
    """The board shows "Cards in: 0" until its next grid minute. A facilitator who types `barriers reveal`
    again and again meanwhile must not learn the moment the third card came in: every answer before the
    board counts again is the one given at zero cards, and the reveal goes ahead only once it shows 3."""
    await chat.say("alice", 'event start "Yorimichi" --lang en')
    for name in ("bob", "carol", "dan"):
        await chat.say(name, "join")
    await chat.say("alice", "barriers open --min 3")  # 09:00:00; the board counts again at 09:01:00
    await chat.wait(seconds=5)
    at_zero = await chat.say("alice", "barriers reveal")
    assert at_zero == [
        "[09:00] alice only | Not yet: the cards are revealed together once the board shows at least 3, "
        "and it shows 0. The board counts again once a minute; until then, asking again gets this same answer."
    ]
    for name in ("bob", "carol", "dan"):  # 09:00:15, :29, :43: the third card makes --min
        await chat.wait(seconds=10)
        await chat.say(name, f'barriers share "{name} finds it hard to ask" --category fear')
        for _ in range(2):
            await chat.wait(seconds=2)
            assert await chat.say("alice", "barriers reveal") == at_zero
    await chat.wait(seconds=12)  # 09:00:59: all three are in, and the answer is still the same
    assert await chat.say("alice", "barriers reveal") == at_zero
    assert not any("hard to ask" in line for line in chat.transcript), "no card was shown"
    await chat.wait(seconds=1)  # 09:01:00: the board shows 3 ...
    assert any("Cards in: 3" in line for line in chat.transcript)
    seen = await chat.say("alice", "barriers reveal")  # ... and the reveal goes ahead
    assert sum("hard to ask" in line for line in seen) == 3
