"""Right after a deploy, on the real clock: a fresh process meets a burst of clicks, and every form opens.

Slack gives a click's trigger_id 3 seconds; users.info is paced at 1.5 a second after a burst of 20. A
process that asked users.info before every form left 16 of 40 people with no form. Here the evening
before the restart runs on virtual time (so it costs nothing); the restarted process and Slack run on
the real clock, as they would.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from adapters.slack.adapter import SlackAdapter
from adapters.slack.outbox import Interaction
from bot.actions import Button, Form, Input, Message, OpenForm, Post
from bot.bootstrap import build
from bot.clock import VirtualClock
from tests.adapters.slack.conftest import make_adapter
from tests.adapters.slack.harness import VirtualTime, Workspace, slack_settings
from tests.fakes import slack_requests as sr
from tests.fakes.slack_api import FakeSlack

pytestmark = pytest.mark.db

PEOPLE = 40
START = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


async def test_after_a_restart_40_people_clicking_share_at_once_all_get_the_form(database_url: str):
    async with FakeSlack() as slack:  # the real clock: trigger ids really age
        slack.add_channel("C0MAIN", "main")
        settings = slack_settings(slack.api_url, database_url=database_url)

        # The evening so far, in the process that is about to be replaced.
        before = build(settings, clock=VirtualClock(START))
        adapter = make_adapter(before.core, settings, VirtualTime(), store=before.store)
        before.dispatcher.register("slack", adapter)
        before.adapters.append(adapter)
        await before.store.upgrade()
        await before.timers.start()
        ws = Workspace(slack, adapter)
        ws.person("host")
        names = [f"p{n:02d}" for n in range(PEOPLE)]
        for name in names:
            ws.person(name, locale="ja-JP" if name.endswith(("1", "3")) else "en-US")
        await ws.command("host", "event start Burst --lang en")
        for name in names:
            await ws.command(name, "join")
        await ws.command("host", "barriers open --min 3")
        await before.close()

        # The deploy: a new process, new adapter objects, the same database; real clock and sleep.
        after = build(settings, clock=VirtualClock(START + timedelta(minutes=5)))
        fresh = SlackAdapter(after.core, after.store, settings)
        after.dispatcher.register("slack", fresh)
        after.adapters.append(fresh)
        await after.timers.start()
        try:
            # Before anyone has clicked, nothing is in memory: names in text that cannot mention (a header,
            # a button, a form label) come from the database, not as raw ids.
            first = ws.ids["p00"]
            await fresh.send(
                "slack:T0001",
                [
                    Post(
                        "C0MAIN",
                        Message("x", title=f"<@{first}> has the floor", buttons=(Button("ok", "a:b:1"),)),
                    )
                ],
            )
            header = slack.messages["C0MAIN"][-1]["blocks"][0]["text"]["text"]
            assert header == "@p00 has the floor"
            # And a form's title and field labels, which go through the same names.
            labels = Form("a:form:1", f"For <@{first}>", (Input("text", f"A word for <@{first}>"),), "Send")
            trigger = slack.new_trigger_id()
            await fresh.outbox.send(
                "slack:T0001",
                [OpenForm(first, labels)],
                interaction=Interaction(user=first, channel="C0MAIN", trigger_id=trigger, response_url=None),
            )
            view = slack.views[-1]
            assert view["title"]["text"] == "For @p00"
            assert view["blocks"][0]["label"]["text"] == "A word for @p00"
            message, button = ws.find_button("Share anonymously")
            assert button["text"]["text"] == "Share anonymously"
            opened_before, views_before = len(slack.calls_to("views.open")), len(slack.views)

            def click(name: str) -> tuple[str, dict[str, str]]:
                payload = sr.block_actions(
                    button["action_id"],
                    user=ws.ids[name],
                    user_name=name,
                    channel="C0MAIN",
                    message_ts=message["ts"],
                    trigger_id=slack.new_trigger_id(),  # issued now, on the real clock
                    response_url=slack.new_response_url(ws.ids[name], "C0MAIN"),
                )
                return sr.signed(sr.interaction_body(payload))

            clicks = [click(name) for name in names]
            answers = await asyncio.gather(*(fresh.dispatch(body, headers) for body, headers in clicks))
            assert {a.status for a in answers} == {200}
            await fresh.settle()  # users.info learns the 40 afterwards, at its own pace (~14 s)

            opens = slack.calls_to("views.open")[opened_before:]
            assert [c.response.get("error") for c in opens if not c.ok] == []  # no expired_trigger_id
            assert (
                len(opens) == PEOPLE and len(slack.views) - views_before == PEOPLE
            )  # every one of the 40 got the form
            # Each form speaks its person's language, known from before the restart.
            titles = {v["title"]["text"] for v in slack.views[views_before:]}
            assert len(titles) == 2  # English and Japanese

        finally:
            await after.close()
