"""One-on-ones: a full reflect in both languages with the actions kept, the pair in the ledger and the
follow-up set; templates (ours in two languages, a facilitator's without code, broken ones); forget-me."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.events import ButtonPressed, Caller, FormSubmitted
from bot.rituals.oneonone import templates
from bot.rituals.oneonone.models import OneOnOne, OneOnOneAnswer
from bot.steps.models import StepRun
from bot.store.models import Connection, Member, Timer
from tests.support import Chat

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
REFLECT = {
    "en": {
        "speaks": "en",
        "opened": "I've opened a one-on-one (Reflect) with @bob",
        "button": "Write my action",
        "form": "My action",
        "closing": "That's your one-on-one.",
        "followup": "How did your actions go?",
    },
    "ja": {
        "speaks": "ja",
        "opened": "@bob さんとの1on1（ふりかえり）を",
        "button": "アクションを書く",
        "form": "わたしのアクション",
        "closing": "これで1on1はおしまいです。",
        "followup": "アクションはどうでしたか？",
    },
}


def said(lines: list[str], text: str) -> bool:
    return any(text in line for line in lines)


async def rows(chat: Chat, model: type) -> list:
    async with chat.app.store.session() as session:
        return list((await session.exec(select(model))).all())


@pytest.mark.db
@pytest.mark.parametrize("lang", ["en", "ja"])
async def test_a_full_reflect_keeps_both_actions_and_records_the_pair(chat: Chat, lang: str) -> None:
    words = REFLECT[lang]
    await chat.play(f"alice speaks {words['speaks']}\nbob speaks {words['speaks']}")
    await chat.say("alice", '/tsunagari event start "Yorimichi"')
    await chat.say("alice", "/tsunagari join")  # both joined: the session is the event's link
    await chat.say("bob", "/tsunagari join")
    lines = await chat.say("alice", "/tsunagari oneonone @bob")
    assert said(lines, words["opened"])
    assert said(lines, "DM alice+bob | ")
    # 3 min each on what's on their minds, then 2 min each on a challenge: 10 minutes of turns.
    lines = await chat.wait(minutes=10)
    assert sum("DM alice+bob" in line and "[09:" in line for line in lines) > 0
    assert said(lines, "[09:10] DM alice+bob")
    await chat.click("bob", words["button"])
    await chat.submit("bob", words["form"], action="Introduce Alice to the design guild")
    lines = await chat.say("alice", "/tsunagari oneonone action Read Bob's notes before Friday")
    assert said(lines, words["closing"])
    assert said(lines, "Introduce Alice to the design guild")
    assert said(lines, "Read Bob's notes before Friday")

    [session] = await rows(chat, OneOnOne)
    assert session.finished_at == T0 + timedelta(minutes=10) and session.template == "reflect"
    members = {m.id: m.user_id for m in await rows(chat, Member)}
    actions = {(members[a.member_id], a.field, a.text) for a in await rows(chat, OneOnOneAnswer)}
    assert actions == {
        ("bob", "action", "Introduce Alice to the design guild"),
        ("alice", "action", "Read Bob's notes before Friday"),
    }
    [link] = await rows(chat, Connection)
    assert (link.origin, link.origin_id, link.stage, link.event_id) == ("oneonone", session.id, "link", 1)
    assert {members[link.member_a_id], members[link.member_b_id]} == {"alice", "bob"}
    [followup] = [t for t in await rows(chat, Timer) if t.kind == "oneonone.followup"]
    assert followup.payload == {"oneonone": session.id}  # ids only, never what they wrote
    assert followup.due_at == T0 + timedelta(days=7, minutes=10)
    lines = await chat.wait(days=7, minutes=10)
    assert said(lines, words["followup"])
    [run] = await rows(chat, StepRun)
    assert run.status == "finished"


@pytest.mark.db
async def test_a_second_answer_replaces_the_first(chat: Chat) -> None:
    await chat.say("alice", '/tsunagari event start "Yorimichi" --lang en')
    await chat.say("bob", "/tsunagari join")
    await chat.say("alice", "/tsunagari oneonone @bob --template checkin")
    await chat.click("bob", "Fill in the check-in")
    await chat.submit("bob", "Weekly check-in", mood="2", action="first try")
    await chat.click("bob", "Fill in the check-in")
    assert said(chat.transcript, "action: One thing you'll do next week = first try")
    await chat.submit("bob", "Weekly check-in", mood="3", action="second try")
    answers = {(a.field, a.text) for a in await rows(chat, OneOnOneAnswer)}
    assert answers == {("mood", "3"), ("action", "second try")}


@pytest.mark.db
async def test_someone_outside_the_pair_can_press_nothing(chat: Chat) -> None:
    await chat.say("alice", '/tsunagari event start "Yorimichi" --lang en')
    await chat.say("bob", "/tsunagari join")
    await chat.say("alice", "/tsunagari oneonone @bob")
    done = next(
        b.action_id
        for s in chat.runner.world.shown
        if s.message
        for b in s.message.buttons
        if b.label == "Done"
    )
    core = chat.app.core
    for event in (
        ButtonPressed(Caller("console", "carol", "#main"), done),
        FormSubmitted(Caller("console", "carol", "#main"), done.replace("done", "answer"), {"action": "x"}),
    ):
        [reply] = await core.handle(event)
        assert reply.message.text == "That one-on-one isn't yours, so nothing happened."
    assert await rows(chat, OneOnOneAnswer) == []


@pytest.mark.db
async def test_forgetting_someone_ends_their_one_on_one_and_leaves_no_trace(chat: Chat) -> None:
    await chat.say("alice", '/tsunagari event start "Yorimichi" --lang en')
    await chat.say("zoe", "/tsunagari join")
    await chat.say("alice", "/tsunagari oneonone @zoe --template checkin")
    await chat.click("zoe", "Fill in the check-in")
    await chat.submit("zoe", "Weekly check-in", mood="4", win="Zanzibar trip", action="Zither lessons")
    lines = await chat.say("zoe", "/tsunagari forget-me confirm")
    assert said(lines, "DM alice | The one-on-one has ended.")
    assert not any("zoe" in line.lower() for line in lines if "DM alice |" in line)
    from tests.test_core import scan_database

    assert await scan_database(chat, ["zoe", "Zanzibar", "Zither"]) == []
    [session] = await rows(chat, OneOnOne)
    assert session.partner_id is None and session.starter_id is not None
    assert await chat.wait(hours=1) == []


# -- templates ------------------------------------------------------------------------------------------------
def shape(template: templates.Template) -> tuple:
    """Everything but the words: what must be the same in every language."""

    def names(text: str) -> set[str]:
        return {n for _, n, _, _ in string.Formatter().parse(text) if n}

    return (
        template.minutes,
        template.followup_days,
        names(template.summary),
        tuple(
            (
                s.name,
                s.kind,
                s.minutes,
                names(s.say),
                tuple((i.name, i.kind, i.required, i.choices) for i in s.inputs),
            )
            for s in template.steps
        ),
    )


def test_our_templates_are_the_same_in_english_and_japanese() -> None:
    english, japanese = templates.load("en"), templates.load("ja")
    assert set(english) == set(japanese) == {"reflect", "checkin"}
    for name in english:
        assert shape(english[name]) == shape(japanese[name]), name
        assert english[name].title != japanese[name].title, f"{name} looks untranslated"


def test_reflect_is_minds_then_challenges_then_one_action_each() -> None:
    reflect = templates.load("en")["reflect"]
    assert [(s.name, s.kind, s.minutes) for s in reflect.steps] == [
        ("mind", "turns", None),
        ("challenge", "turns", 2.0),
        ("action", "collect", 5.0),
    ]
    assert reflect.minutes == 3 and reflect.followup_days == 7
    assert "How could I help?" in reflect.step("challenge").say
    assert reflect.action_step().name == "action"


STANDUP = """
title: "Stand-up"
summary: "Two minutes each. {first} starts."
minutes: 2
closing: "Done."
steps:
  - name: update
    kind: turns
    say: "{speaker}: yesterday, today, anything in the way? Until {until}."
"""


async def chat_with_templates(
    folder: Path, monkeypatch: pytest.MonkeyPatch, database_url: str, lang: str, files: dict[str, str]
) -> Chat:
    """A started Chat whose TSUNAGARI_PROMPTS_DIR holds these one-on-one template files in `lang`."""
    templates_dir = folder / lang / "oneonone"
    templates_dir.mkdir(parents=True)
    for name, text in files.items():
        (templates_dir / name).write_text(text, "utf-8")
    monkeypatch.setenv("TSUNAGARI_PROMPTS_DIR", str(folder))
    chat = Chat(database_url, T0)
    await chat.start()
    return chat


@pytest.mark.db
async def test_a_facilitator_adds_a_template_as_a_file_without_touching_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    files = {
        "standup.yaml": STANDUP,
        "broken.yaml": "title: Broken\nsteps: not a list\n",
        "typo.yaml": STANDUP.replace("{until}", "{untill}"),
    }
    chat = await chat_with_templates(tmp_path, monkeypatch, database_url, "en", files)
    try:
        lines = await chat.say("alice", "/tsunagari oneonone templates")
        assert said(lines, "`standup` — Stand-up")
        assert not said(lines, "broken") and not said(lines, "typo")
        await chat.play("bob speaks ja")  # written in English only: a Japanese speaker gets the English one
        await chat.say("bob", "/tsunagari help")
        lines = await chat.say("bob", "/tsunagari oneonone @alice --template standup")
        assert said(lines, "DM alice+bob | @alice: yesterday, today, anything in the way? Until 09:02.")
        lines = await chat.wait(minutes=4)
        assert said(lines, "[09:04] DM alice+bob | Done.")
    finally:
        await chat.close()


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ("just text", "must be a mapping"),
        ({"title": "x", "summary": "x", "closing": "x", "steps": []}, "between 1 and 20 steps"),
        (
            {
                "title": "x",
                "summary": "x",
                "closing": "x",
                "steps": [{"name": "a", "kind": "dance", "say": "x"}],
            },
            "`kind`",
        ),
        (
            {
                "title": "x",
                "summary": "x",
                "closing": "x",
                "steps": [{"name": "a", "kind": "turns", "say": "{who}"}],
            },
            "uses {who}",
        ),
        (
            {
                "title": "x",
                "summary": "x",
                "closing": "x",
                "steps": [{"name": "a", "kind": "collect", "say": "x"}],
            },
            "needs `inputs`",
        ),
        (
            {
                "title": "x",
                "summary": "x",
                "closing": "x",
                "steps": [{"name": "a", "kind": "turns", "say": "x", "minutes": 90}],
            },
            "`minutes` must be a number from 0.5 to 30",
        ),
        ({"summary": "x", "closing": "x", "steps": [{"name": "a", "kind": "turns", "say": "x"}]}, "`title`"),
        (
            {
                "title": "x",
                "summary": "x",
                "closing": "x",
                "steps": [
                    {
                        "name": "a",
                        "kind": "collect",
                        "say": "x",
                        "inputs": [{"name": f"q{i}", "label": "Q"} for i in range(6)],
                    }
                ],
            },
            "holds at most 5 inputs, not 6",
        ),
    ],
)
def test_a_broken_template_says_what_to_fix(data: object, problem: str) -> None:
    with pytest.raises(templates.TemplateError) as caught:
        templates.parse("mine", data)
    assert problem in str(caught.value)


@pytest.mark.db
async def test_the_follow_up_goes_only_to_those_who_still_accept_follow_up_dms(chat: Chat) -> None:
    await chat.say("alice", '/tsunagari event start "Yorimichi" --lang en')
    await chat.say("bob", "/tsunagari join")
    await chat.say("alice", "/tsunagari oneonone @bob --template checkin --minutes 30s")
    for person in ("alice", "bob"):
        await chat.click(person, "Fill in the check-in")
        await chat.submit(person, "Weekly check-in", mood="4", action=f"{person}'s next step")
    await chat.wait(minutes=1)
    await chat.say("bob", "/tsunagari nudges off")
    lines = await chat.wait(days=7, minutes=1)
    assert said(lines, "DM alice | It's been 7 days since your one-on-one. How did your actions go?")
    assert said(lines, "@alice · One thing you'll do next week: alice's next step")
    assert not said(lines, "DM bob") and not said(lines, "DM alice+bob")


@pytest.mark.db
async def test_the_follow_up_waits_for_an_hour_when_both_people_are_awake(chat: Chat) -> None:
    """Alice in Los Angeles, Bob in Tokyo: seven days after 09:10 UTC is 01:10 for Alice. The follow-up
    waits for 00:00 UTC the next day, 16:00 for her and 09:00 for him, the first moment outside both
    people's quiet hours (21:00-09:00)."""
    await chat.say("alice", '/tsunagari event start "Yorimichi" --lang en')
    await chat.say("bob", "/tsunagari join")
    await chat.say("alice", "/tsunagari tz America/Los_Angeles")
    await chat.say("bob", "/tsunagari tz Asia/Tokyo")
    await chat.say("alice", "/tsunagari oneonone @bob")
    await chat.wait(minutes=10)
    await chat.say("bob", "/tsunagari oneonone action Introduce Alice to the design guild")
    await chat.say("alice", "/tsunagari oneonone action Read Bob's notes before Friday")
    [followup] = [t for t in await rows(chat, Timer) if t.kind == "oneonone.followup"]
    assert followup.due_at == datetime(2026, 1, 23, 0, 0, tzinfo=UTC)
    lines = await chat.wait(days=7, hours=14, minutes=49)  # 23:59 UTC on the 22nd: nothing yet
    assert not said(lines, "How did your actions go?")
    lines = await chat.wait(minutes=1)
    assert said(lines, "DM alice+bob") and said(lines, "How did your actions go?")


@pytest.mark.db
async def test_either_of_the_two_can_pause_and_resume_and_the_step_keeps_its_time(chat: Chat) -> None:
    await chat.say("alice", '/tsunagari event start "Yorimichi" --lang en')
    await chat.say("bob", "/tsunagari join")
    await chat.say("alice", "/tsunagari oneonone @bob")  # Bob speaks first, 3 minutes, until 09:03
    await chat.wait(minutes=1)
    lines = await chat.say("bob", "/tsunagari oneonone pause")
    assert said(lines, "DM alice+bob | Paused by @bob: this step keeps its 2 min.")
    lines = await chat.say("alice", "/tsunagari oneonone pause")
    assert said(lines, "alice only | Your one-on-one is already paused.")
    lines = await chat.wait(minutes=10)  # a knock at the door: the clock stands still
    assert not said(lines, "Time's up")
    lines = await chat.say("alice", "/tsunagari oneonone resume")
    assert said(lines, "DM alice+bob | Resumed by @alice: this step runs until 09:13 (2 min left).")
    lines = await chat.say("alice", "/tsunagari oneonone resume")
    assert said(lines, "alice only | Your one-on-one isn't paused, so there is nothing to resume.")
    lines = await chat.say("carol", "/tsunagari oneonone pause")
    assert said(lines, "carol only | You're not in a one-on-one right now.")
    lines = await chat.wait(minutes=2)
    assert said(lines, "[09:13] DM alice+bob | Time's up, @bob. Thank you.")


NOTE = """
title: "One thing"
summary: "Each of you writes one thing, with no clock. {first} first."
minutes: 2
closing: "Done."
steps:
  - name: note
    kind: collect
    say: "Each of you, write one thing you'll do."
    button: "Write it"
    form_title: "One thing"
    inputs:
      - name: action
        label: "One thing you'll do"
"""


@pytest.mark.db
async def test_a_step_that_waits_for_answers_has_no_clock_to_pause(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    chat = await chat_with_templates(tmp_path, monkeypatch, database_url, "ja", {"note.yaml": NOTE})
    try:
        await chat.play("alice speaks ja\nbob speaks ja")
        await chat.say("alice", '/tsunagari event start "Yorimichi" --lang ja')
        await chat.say("bob", "/tsunagari join")
        lines = await chat.say("alice", "/tsunagari oneonone @bob --template note")
        assert said(lines, "Each of you, write one thing you'll do.")
        lines = await chat.say("bob", "/tsunagari oneonone pause")
        assert said(
            lines, "bob only | このステップには止めるタイマーがありません。お二人が答えると終わります。"
        )
    finally:
        await chat.close()
