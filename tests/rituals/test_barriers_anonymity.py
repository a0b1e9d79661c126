"""The promise of the barrier board, checked where an operator would look: the database (rows, and on
SQLite the raw file and its write-ahead log), every log line at DEBUG, and the export.

Several authors with distinctive ids and display names share cards, vote and withdraw. Nowhere does an
author's id or name sit beside card words; after close the secret is gone and no stored value, used as
a key, recomputes anyone's tag.
"""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import text as sql

from adapters.console.adapter import TENANT
from bot.rituals.barriers import crypto
from tests.rituals.barriers_support import (
    act,
    dump,
    press,
    raw_files,
    sqlite_pages,
    sqlite_path,
    stored_values,
    submit,
)
from tests.support import Chat

FACILITATOR = ("UFACILFUMIKO0001", "Fumiko Facilitator-Okabe")
AUTHORS = [
    ("U7731AYUMIXQ", "Ayumi Tanaka-Whitfield"),
    ("U0042BONGANIZ", "Bongani Okonkwo-Sato"),
    ("U5519CHIARAWV", "Chiara Villanueva-Ito"),
    ("U2288DMITRIKJ", "Dmitri Nakamura-Osei"),
]
CARDS = {
    AUTHORS[0]: ["Kestrel: I dread being the only one who asks", "Heron: 年上の人に話しかけるのが怖い"],
    AUTHORS[1]: ["Marmot: nobody admits they feel lonely here"],
    AUTHORS[2]: ["Osprey: my team never meets the other floors", "Wombat: a typo I will withdraw"],
    AUTHORS[3]: ["Pangolin: everything depends on one manager"],
}
WITHDRAWN = "Wombat: a typo I will withdraw"
SHARED = [text for texts in CARDS.values() for text in texts if text != WITHDRAWN]
IDENTITIES = [value for author in AUTHORS for value in author]


def _row_text(row: dict) -> str:
    return " ".join(str(value) for value in row.values() if value is not None)


async def _no_author_beside_a_card(chat: Chat) -> None:
    """Rows, and on SQLite every page and log frame of the file: card words never share one with a name."""
    tables = await dump(chat)
    for name, rows in tables.items():
        for row in rows:
            text = _row_text(row)
            if any(card in text for card in [*SHARED, WITHDRAWN]):
                assert not [who for who in IDENTITIES if who in text], (
                    f"{name} holds a card beside its author"
                )
    assert set(tables["barrier_card"][0]) == {
        "id", "tenant_id", "board_id", "category", "text", "author", "number", "hidden", "metoo"
    }, "a card row gained a column: check it cannot name or date its author"  # fmt: skip
    path = sqlite_path(chat)
    if path is None:
        return
    for page in sqlite_pages(path):
        if any(card.encode() in page for card in [*SHARED, WITHDRAWN]):
            assert not [who for who in IDENTITIES if who.encode() in page], "a page holds a card and a name"


async def _no_transaction_id_dates_a_card(chat: Chat) -> None:
    """PostgreSQL stamps each row with the transaction that wrote it (xmin). A share's transaction also
    wrote the request's row, with its time; the refresh rewrites every card in one transaction, so no card
    keeps its own."""
    if sqlite_path(chat) is not None:
        return
    async with chat.app.store.engine.connect() as connection:
        cards = {row[0] for row in await connection.execute(sql("SELECT xmin::text FROM barrier_card"))}
        requests = {
            row[0] for row in await connection.execute(sql("SELECT xmin::text FROM processed_request"))
        }
    assert len(cards) == 1 and not cards & requests


@pytest.mark.db
async def test_nobody_can_link_a_card_to_its_author_in_the_database_the_logs_or_the_export(
    chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    # Every logger at DEBUG, SQLAlchemy's engine and the SQLite driver included.
    caplog.set_level(logging.DEBUG)
    for name in ("sqlalchemy.engine", "sqlalchemy.pool", "aiosqlite", "asyncpg"):
        caplog.set_level(logging.DEBUG, logger=name)

    await act(chat, *FACILITATOR, 'event start "Yorimichi January" --lang en')
    for author in AUTHORS:
        await act(chat, *author, "join")
    await act(chat, *FACILITATOR, "barriers open --min 3")

    # They share: some by command, some by the form; each sees only their own private answer.
    for index, (author, texts) in enumerate(CARDS.items()):
        for text in texts:
            if index % 2:
                await press(chat, *author, "Share anonymously")
                seen = await submit(chat, *author, "Share anonymously", text=text, category="fear")
            else:
                seen = await act(chat, *author, f'barriers share "{text}" --category trust')
            assert seen == [s for s in seen if s.split("|")[0].strip().endswith(f"{author[0]} only")]
    # Chiara withdraws her typo: her private list shows her two cards, and only hers.
    listing = await act(chat, *AUTHORS[2], "barriers withdraw")
    assert "Osprey" in "\n".join(listing) and "Kestrel" not in "\n".join(listing)
    mine = [line for line in listing if WITHDRAWN in line][0]
    await act(chat, *AUTHORS[2], f"barriers withdraw {mine.split('| ', 1)[1].split('.')[0]}")
    await chat.wait(minutes=1)
    await _no_author_beside_a_card(chat)
    await _no_transaction_id_dates_a_card(chat)

    # Before close the board's secret still recognises authors (so the check below has teeth) ...
    tables = await dump(chat)
    secret = bytes(tables["barrier_board"][0]["secret"])
    tags = {bytes(row["author"]) for row in tables["barrier_card"]}
    recognised = {
        crypto.author_tag(secret, row["id"], TENANT, user)
        for row in tables["barrier_card"]
        for user, _ in AUTHORS
    }
    assert tags <= recognised

    await act(chat, *FACILITATOR, "barriers reveal")
    for number in (1, 2, 3):
        for author in AUTHORS[:3]:
            await press(chat, *author, f"Me too #{number}")
    await chat.wait(minutes=1)
    await _no_author_beside_a_card(chat)
    tables = await dump(chat)
    assert all(row["author"] is None for row in tables["barrier_card"]), "authors are forgotten at reveal"
    if sqlite_path(chat) is not None:  # ... and so is every older copy of a page that held their tags
        assert not [tag for tag in tags if tag in raw_files(sqlite_path(chat))]
    vote_tags = {bytes(row["voter"]) for row in tables["barrier_vote"]}
    assert len(vote_tags) == 9

    export = await act(chat, *FACILITATOR, "barriers export")
    await act(chat, *FACILITATOR, "barriers close")
    await chat.wait(seconds=1)  # the scrub runs once the close has committed
    await _no_author_beside_a_card(chat)

    # After close: no secret, no tags, and nothing stored recomputes anyone's tag.
    tables = await dump(chat)
    timers = [row for row in tables["timer"] if row["kind"].startswith("barriers.")]
    assert timers, "the refreshes and the scrub ran as timers"
    for row in timers:  # a timer names a board (or a retry count), never a card, a person or words
        payload = row["payload"] if isinstance(row["payload"], dict) else json.loads(row["payload"])
        assert set(payload) <= {"board", "try"} and row["member_id"] is None
    assert [row["secret"] for row in tables["barrier_board"]] == [None]
    assert tables["barrier_vote"] == []
    assert all(row["author"] is None for row in tables["barrier_card"])
    values = stored_values(tables)
    stored = set(values)
    assert not (tags | vote_tags) & stored
    card_ids = [row["id"] for row in tables["barrier_card"]]
    for key in set(values):
        for card_id in card_ids:
            for user, _ in AUTHORS:
                assert crypto.author_tag(key, card_id, TENANT, user) not in stored
                assert crypto.voter_tag(key, card_id, TENANT, user) not in stored
    path = sqlite_path(chat)
    if path is not None:  # not even an old copy in a free page or the write-ahead log
        raw = raw_files(path)
        assert secret not in raw
        assert not [tag for tag in tags | vote_tags if tag in raw]
        assert WITHDRAWN.encode() not in raw

    # The channel and the facilitator saw cards and counts, never who.
    seen_by_facilitator = [
        line
        for shown in chat.runner.world.visible_to(FACILITATOR[0])
        for line in shown.lines
        if any(card in line for card in SHARED)
    ]
    assert len(seen_by_facilitator) >= len(SHARED)
    for line in seen_by_facilitator + export:
        if any(card in line for card in SHARED):
            assert not [who for who in IDENTITIES if who in line], line
    assert any("Pangolin" in line for line in export)
    assert not [who for who in IDENTITIES if who in "\n".join(export)]

    # Every log line, at every level: no card words, and no author named anywhere.
    logged = "\n".join(
        record.getMessage() + (record.exc_text or "") + repr(record.args) for record in caplog.records
    )
    assert any(record.name.startswith("sqlalchemy.engine") for record in caplog.records), "engine not logging"
    assert not [card for card in [*SHARED, WITHDRAWN] if card in logged]
    assert not [who for who in IDENTITIES if who in logged]


@pytest.mark.db
async def test_the_database_file_keeps_no_copy_of_a_withdrawn_card(chat: Chat) -> None:
    """Bob withdraws a card before the reveal: the file and its log no longer hold its words anywhere."""
    path = sqlite_path(chat)
    if path is None:
        pytest.skip("raw file bytes are a SQLite matter")
    await chat.say("alice", 'event start "Yorimichi" --lang en')
    await chat.say("bob", "join")
    await chat.say("alice", "barriers open")
    await chat.say("bob", 'barriers share "Quokka: a sentence I regret"')
    await chat.wait(minutes=1)
    assert b"Quokka" in raw_files(path)
    seen = await chat.say("bob", "barriers withdraw 1")
    assert any("withdrawn" in line for line in seen)
    await chat.say("alice", "barriers close")
    await chat.wait(seconds=1)
    assert b"Quokka" not in raw_files(path)
