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
    refused = await chat.say("alice", "barriers reveal")
    assert any("at least 4 are in" in line for line in refused), "three cards are not enough for --min 4"
    await chat.say("bob", 'barriers share "uncategorised worry"')
    seen = await chat.say("alice", "barriers reveal")
    public = [line.split("| ", 1)[1] for line in seen if line.split("|")[0].strip().endswith("#main")]
    titles = [line for line in public if " · " in line]
    assert titles == ["Expectation and fear · 2", "Institutional isolation · 1", "Something else · 1"]
    numbers = [line.split(" ", 1)[0] for line in public if line.startswith("#")]
    assert numbers == ["#1", "#2", "#3", "#4"]
    again = await chat.say("alice", "barriers reveal")
    assert any("already revealed (4 of them)" in line for line in again)
