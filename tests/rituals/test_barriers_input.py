"""What people type into a card, and what they are told when it cannot be taken as it is."""

from __future__ import annotations

import pytest

from adapters.console.adapter import TENANT
from bot.errors import UserError
from bot.events import ButtonPressed, Caller
from bot.i18n import Catalog
from bot.rituals.barriers.cards import CATEGORIES, MAX_TEXT, clean_text, parse_category
from tests.support import Chat

CATALOG = Catalog.load()


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("", "barriers.error.empty"),
        ("   \n\t ", "barriers.error.empty"),
        ("x" * (MAX_TEXT + 1), "barriers.error.too_long"),
        ("x" * 10_000, "barriers.error.too_long"),
        ("🙂🙂🙂", "barriers.error.no_words"),
        ("😢 … !!", "barriers.error.no_words"),
    ],
)
def test_a_card_that_cannot_be_read_back_is_refused_with_a_reason(raw: str, key: str) -> None:
    with pytest.raises(UserError) as refused:
        clean_text(raw)
    assert refused.value.key == key
    assert raw.strip() == "" or raw not in str(refused.value.params), "the refusal never repeats the text"


def test_words_are_kept_as_written_japanese_included_and_nothing_invisible_stays() -> None:
    assert clean_text("  年上の人に話しかけるのが怖い 🙂 ") == "年上の人に話しかけるのが怖い 🙂"
    assert clean_text("x" * MAX_TEXT) == "x" * MAX_TEXT
    assert clean_text("あ" * MAX_TEXT) == "あ" * MAX_TEXT
    # Kept as typed (the renderers make it inert, tests/security/test_inert_text.py), but nothing that
    # hides or reorders text survives.
    assert clean_text("<@U123> never listens, <!channel>") == "<@U123> never listens, <!channel>"
    assert clean_text("a\u202egpj.exe\u200b\u2066b\ufeff") == "agpj.exeb"
    assert clean_text("line one\n\n\n\n\nline two") == "line one\n\nline two"


def test_a_category_is_named_by_its_key_or_its_label_in_either_language() -> None:
    assert parse_category(None, CATALOG) == "other"
    assert parse_category("FEAR", CATALOG) == "fear"
    assert parse_category("Taboo and stigma", CATALOG) == "taboo"
    assert parse_category("期待と恐れ", CATALOG) == "fear"
    with pytest.raises(UserError) as refused:
        parse_category("weather", CATALOG)
    assert refused.value.key == "barriers.error.bad_category"
    assert refused.value.params["choices"] == ", ".join(CATEGORIES)


@pytest.mark.db
async def test_bad_input_in_a_workshop_gets_a_clear_localised_answer_and_saves_nothing(chat: Chat) -> None:
    await chat.say("alice", 'event start "Yorimichi" --lang en')
    await chat.say("bob", "join")
    await chat.say("kenji", "lang ja")
    await chat.say("kenji", "join")
    # Sharing with no board open.
    assert any("There's no barrier board open" in line for line in await chat.say("bob", "barriers share hi"))
    assert any(
        "開いている壁ボードがありません" in line for line in await chat.say("kenji", "barriers share やあ")
    )
    await chat.say("alice", "barriers open")
    # 10,000 characters typed: the command itself is too long to read.
    seen = await chat.say("bob", "barriers share " + "x" * 10_000)
    assert any("characters long; the most I accept is 4000" in line for line in seen)
    # 10,000 characters in the form: the card's own limit, with both numbers.
    await chat.click("bob", "Share anonymously")
    seen = await chat.submit("bob", "Share anonymously", text="y" * 10_000, category="fear")
    assert any("Your card is 10000 characters long; the limit is 1000" in line for line in seen)
    await chat.click("kenji", "Share anonymously")  # the board speaks the event's language; the form, kenji's
    seen = await chat.submit("kenji", "匿名で共有する", text="あ" * 1001, category="fear")
    assert any("カードが1001文字あります。上限は1000文字です" in line for line in seen)
    # Emoji only, and an unknown category, in both languages.
    assert any("emoji or punctuation alone" in line for line in await chat.say("bob", "barriers share 🙂🙂"))
    assert any("絵文字や記号だけでは" in line for line in await chat.say("kenji", "barriers share 🙂"))
    seen = await chat.say("kenji", "barriers share 孤独 --category 天気")
    assert any("`天気` というカテゴリーはありません" in line for line in seen)
    # A form value that is not a category at all.
    await chat.click("bob", "Share anonymously")
    seen = await chat.submit("bob", "Share anonymously", text="fine words", category="nonsense")
    assert any("`nonsense` is not a category" in line for line in seen)
    # Nothing above was saved: the board still has no card when it refreshes, and reveal says so.
    await chat.wait(minutes=2)
    assert not any("(updated)" in line for line in chat.transcript)
    seen = await chat.say("alice", "barriers reveal")
    assert any("Not yet" in line and "it shows 0" in line for line in seen)
    # Japanese words go in and come back out untouched.
    for text in ("年上の人に話しかけるのが怖い", "失敗を話せる場がない", "部署の外に知り合いがいない"):
        await chat.say("kenji", f"barriers share {text}")
    await chat.wait(minutes=1)  # the board shows the count the reveal decides on
    seen = await chat.say("alice", "barriers reveal")
    assert sum("年上の人に話しかけるのが怖い" in line for line in seen) == 1
    # A vote on a hidden card does nothing and says so; reveal twice is a clear answer.
    await chat.say("alice", "barriers hide 1")
    seen = await chat.say("bob", "barriers metoo 1")
    assert any("Card #1 was hidden by a facilitator" in line for line in seen)
    seen = await chat.say("bob", "barriers metoo one")
    assert any("`one` is not a card number" in line for line in seen)
    seen = await chat.say("kenji", "barriers reveal")
    assert any("ファシリテーターだけが実行できます" in line for line in seen)
    assert any("already revealed" in line for line in await chat.say("alice", "barriers reveal"))


@pytest.mark.db
async def test_a_stale_me_too_button_on_a_hidden_card_does_nothing_and_says_so(chat: Chat) -> None:
    """Bob's client still shows "Me too #1" after the facilitator hid card #1; pressing it changes nothing."""
    await chat.say("alice", 'event start "Yorimichi" --lang en')
    await chat.say("bob", "join")
    await chat.say("alice", "barriers open --min 2")
    await chat.say("bob", 'barriers share "one" --category fear')
    await chat.say("bob", 'barriers share "two" --category fear')
    await chat.wait(minutes=1)  # the board shows the count the reveal decides on
    await chat.say("alice", "barriers reveal")
    shown, stale = chat.runner.world.find_button("bob", "Me too #1")
    await chat.say("alice", "barriers hide 1")
    assert chat.runner.world.find_button("bob", "Me too #1") is None, "the board itself drops the button"
    event = ButtonPressed(Caller(TENANT, "bob", shown.channel, None, "bob"), stale, "stale-press")
    seen = [action.message.text for action in await chat.app.core.handle(event)]
    assert seen == ["Card #1 was hidden by a facilitator, so “me too” on it does nothing. Nothing changed."]
    later = await chat.wait(minutes=2)
    assert not any("Me too: 1" in line for line in later)


@pytest.mark.db
async def test_a_number_too_big_for_any_column_is_refused_as_not_a_card_number(chat: Chat, caplog) -> None:
    """20 digits used to reach the database, overflow there, and answer "something went wrong"."""
    await chat.say("alice", 'event start "Yorimichi" --lang en')
    await chat.say("bob", "join")
    await chat.say("kenji", "lang ja")
    await chat.say("kenji", "join")
    await chat.say("alice", "barriers open --min 2")
    await chat.say("bob", 'barriers share "one" --category fear')
    await chat.say("bob", 'barriers share "two" --category fear')
    seen = await chat.say("bob", "barriers withdraw 99999999999999999999")
    assert any("`99999999999999999999` is not a card number" in line for line in seen)
    await chat.wait(minutes=1)  # the reveal goes by the board's count, which moves once a minute
    await chat.say("alice", "barriers reveal")
    huge = "99999999999999999999"
    seen = await chat.say("bob", f"barriers metoo {huge}")
    assert any(
        f"`{huge}` is not a card number. Use the number shown beside the card" in line for line in seen
    )
    seen = await chat.say("kenji", f"barriers metoo #{huge}")
    assert any("はカード番号ではありません" in line for line in seen)  # as typed, clipped to 20
    seen = await chat.say("alice", f"barriers hide {huge}")
    assert any(f"`{huge}` is not a card number" in line for line in seen)
    seen = await chat.say("alice", "barriers hide 2147483648")  # one past PostgreSQL's INTEGER
    assert any("`2147483648` is not a card number" in line for line in seen)
    seen = await chat.say("bob", "barriers metoo ²")  # a digit to str.isdigit, not to int()
    assert any("`²` is not a card number" in line for line in seen)
    seen = await chat.say("bob", "barriers metoo ２")  # typed with a Japanese keyboard: card 2
    assert any("Counted: “me too” on #2" in line for line in seen)
    # A forged button naming such an id is a stale button, not an error on our side.
    shown, _ = chat.runner.world.find_button("bob", "Me too #1")
    for forged in (f"barriers:metoo:{huge}", "barriers:metoo:²", f"pairs:send:{huge}", f"nudges:stop:{huge}"):
        event = ButtonPressed(Caller(TENANT, "bob", shown.channel, None, "bob"), forged, f"forged-{forged}")
        seen = [action.message.text for action in await chat.app.core.handle(event)]
        assert seen == [CATALOG.text("en", "core.error.stale_button")], forged
    assert "Something went wrong" not in " ".join(chat.transcript)
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL") or r.exc_info]
