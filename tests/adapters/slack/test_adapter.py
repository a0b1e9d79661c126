"""The bolt app's plumbing, through signed Slack requests against the fake Web API.

A small stand-in core answers by rule here so each Slack behaviour (signature, retries, 429, modals,
DMs, updates) is checked in isolation; test_workshop.py runs the real core through the same adapter.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from pydantic import SecretStr
from slack_bolt.request.async_request import AsyncBoltRequest

from adapters.slack.adapter import SlackAdapter
from bot.actions import (
    Button,
    DirectMessage,
    Form,
    Input,
    Message,
    OpenForm,
    Post,
    Reply,
    Update,
)
from bot.events import ButtonPressed, CommandInvoked, FormSubmitted
from tests.adapters.slack.conftest import make_adapter
from tests.adapters.slack.harness import slack_settings
from tests.fakes import slack_requests as sr
from tests.fakes.slack_api import APP_TOKEN


class RuleCore:
    """Answers commands by a fixed rule and records every event it is handed."""

    def __init__(self, catalog) -> None:
        self.events: list[object] = []
        self.catalog = catalog

    async def handle(self, event):
        self.events.append(event)
        caller = event.caller
        if isinstance(event, ButtonPressed):
            return [
                Update(
                    "board", Message(f"pressed by <@{caller.user}>", buttons=(Button("Next", "t:next:1"),))
                )
            ]
        if isinstance(event, FormSubmitted):
            return [Post(caller.channel, Message("card: " + event.values["text"]))]
        verb, _, rest = event.text.partition(" ")
        if verb == "post":
            return [Post(caller.channel, Message(rest, buttons=(Button("Next", "t:next:1"),)), ref="board")]
        if verb == "form":
            form = Form(
                "b:share:1",
                "Share a barrier",
                (Input("text", "What makes it hard?", kind="paragraph"),),
                "Share",
            )
            return [Reply(caller.user, caller.channel, Message("opening")), OpenForm(caller.user, form)]
        if verb == "twoforms":  # a second form for the same click: its trigger_id is spent by then
            form = Form("b:share:1", "Share", (Input("text", "What?"),), "Share")
            return [OpenForm(caller.user, form), OpenForm(caller.user, form)]
        if verb == "dm":
            *users, text = rest.split(" ")
            return [DirectMessage(tuple(u.strip("<@>") for u in users), Message(text), near=caller.channel)]
        if verb == "whisper":
            return [Reply(caller.user, caller.channel, Message(rest))]
        if verb == "big":
            return [Post(caller.channel, Message("\n\n".join(f"line {i} " + "x" * 2900 for i in range(70))))]
        if verb == "boom":
            raise RuntimeError("a bug in the core")
        return []


@pytest.fixture
def core(catalog) -> RuleCore:
    return RuleCore(catalog)


@pytest.fixture
def ws(workspace_for, core):
    return workspace_for(core)


async def test_slash_command_is_acked_empty_and_answered_after(ws, core, slack):
    response = await ws.command("alice", "post hello **everyone**")
    assert response.status == 200 and response.body == ""
    assert ws.channel() == ["hello *everyone*\n[Next]"]
    [event] = core.events
    assert isinstance(event, CommandInvoked)
    assert event.caller.tenant == "slack:T0001" and event.caller.user == "U0ALICE"
    assert event.caller.locale == "ja-JP" and event.caller.name == "alice"  # from users.info


async def test_users_info_is_cached(ws, slack):
    await ws.command("bob", "post one")
    await ws.command("bob", "post two")
    assert len(slack.calls_to("users.info")) == 1


async def test_bad_signature_is_refused_with_401_and_the_core_hears_nothing(ws, core):
    body, headers = sr.signed(sr.slash_command_body("post x", user="U0BOB"), secret="not-the-secret")
    assert (await ws.dispatch(body, headers)).status == 401
    assert core.events == []


async def test_a_six_minute_old_timestamp_is_refused_with_401(ws, core):
    body, headers = sr.signed(sr.slash_command_body("post x", user="U0BOB"), timestamp=int(time.time()) - 360)
    assert (await ws.dispatch(body, headers)).status == 401
    assert core.events == []


async def test_the_same_event_delivered_three_times_acts_once(ws, core):
    answers = [await ws.mention("bob", "post once", event_id="Ev0RETRY", retry=n or None) for n in range(3)]
    assert [a.status for a in answers] == [200, 200, 200]
    assert len(core.events) == 1
    assert core.events[0].request_id == "evt:Ev0RETRY"
    assert ws.channel() == ["once\n[Next]"]


async def test_a_429_on_post_message_is_retried_after_retry_after_and_nothing_is_lost(ws, slack, vtime):
    slack.rate_limit("chat.postMessage", times=2, retry_after=3)
    await ws.command("alice", "post survives")
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [429, 429, 200]
    assert ws.channel() == ["survives\n[Next]"]
    assert sum(1 for s in vtime.slept if s >= 3) == 2  # waited Retry-After each time, on virtual time


async def test_a_button_updates_the_message_it_refers_to(ws, slack):
    await ws.command("alice", "post board")
    ts = slack.messages["C0MAIN"][0]["ts"]
    await ws.click("bob", "Next")
    [update] = slack.calls_to("chat.update")
    assert update.args["ts"] == ts
    assert ws.channel() == ["pressed by <@U0BOB>\n[Next]"]


async def test_a_form_opens_with_the_fresh_trigger_and_its_submission_is_posted(ws, slack, core):
    await ws.command("carol", "form")
    [opened] = slack.calls_to("views.open", ok=True)
    command = core.events[0]
    assert opened.args["trigger_id"] == command.request_id.removeprefix("cmd:")
    assert slack.calls[slack.calls.index(opened) - 1].method == "users.info"  # before the reply goes out
    view = ws.open_view()
    assert view["callback_id"] == "b:share:1" and view["close"]["text"] == "Cancel"
    response = await ws.submit("carol", {"text": "fear of <looking> foolish"})
    assert response.status == 200 and response.body == ""  # the modal closes
    assert ws.channel() == ["card: fear of &lt;looking&gt; foolish"]
    assert core.events[-1].caller.channel == "C0MAIN"


async def test_a_trigger_that_ran_out_asks_for_the_click_again(ws, slack, core, vtime):
    handle = core.handle

    async def slow(event):
        await vtime.sleep(3.5)  # the core took more than Slack's 3 seconds
        return await handle(event)

    core.handle = slow
    await ws.command("bob", "form")
    assert slack.calls_to("views.open")[0].response["error"] == "expired_trigger_id"
    assert ws.whispers("bob") == [  # forms go first, so the apology comes before the command's reply
        "That took me too long to open the form. Please click the button again.",
        "opening",
    ]


async def test_a_trigger_used_twice_is_refused_as_slack_does_and_the_person_is_told(ws, slack):
    await ws.command("bob", "twoforms")
    first, second = slack.calls_to("views.open")
    assert first.ok and second.response["error"] == "exchanged_trigger_id"
    assert len(slack.views) == 1
    # bob sees the first form, and a word on the second instead of silence:
    assert ws.whispers("bob") == [
        "That click has already opened a form. To open another, please click the button again."
    ]


async def test_a_whisper_to_someone_not_in_the_channel_goes_to_their_dm(ws, slack):
    slack.add_channel("C0SIDE", "side", outsiders=("U0BOB",))
    [delivery] = await ws.adapter.send("slack:T0001", [Reply("U0BOB", "C0SIDE", Message("only for you"))])
    assert delivery.status == "ok"
    [refused] = slack.calls_to("chat.postEphemeral")
    assert refused.response["error"] == "user_not_in_channel"
    assert ws.dms("bob") == ["only for you"]  # bob reads it in his DM with the bot, not nowhere
    assert slack.ephemerals == []


async def test_close_label_follows_the_callers_locale(ws, slack):
    await ws.command("alice", "form")
    assert ws.open_view()["close"]["text"] == "キャンセル"


async def test_a_reply_goes_to_the_caller_only(ws, slack):
    await ws.command("bob", "whisper just for you")
    assert ws.whispers("bob") == ["just for you"]
    assert ws.whispers("alice") == [] and ws.channel() == []


async def test_a_reply_from_a_timer_is_an_ephemeral_message(ws, slack):
    [delivery] = await ws.adapter.send("slack:T0001", [Reply("U0BOB", "C0MAIN", Message("time is up"))])
    assert delivery.status == "ok"
    assert ws.whispers("bob") == ["time is up"]


async def test_group_dm_goes_through_conversations_open(ws, slack):
    await ws.command("alice", "dm <@U0BOB> <@U0CAROL> hello-pair")
    assert slack.calls_to("conversations.open")[0].args["users"] == "U0BOB,U0CAROL"
    assert ws.dms("bob", "carol") == ["hello-pair"]


async def test_dm_to_an_unknown_user_is_reported_not_raised(ws):
    action = DirectMessage(("U0GHOST",), Message("hi"))
    [delivery] = await ws.adapter.send("slack:T0001", [action])
    assert delivery.status == "unknown_user" and delivery.detail == "user_not_found"


async def test_a_refused_dm_falls_back_to_a_mention_beside_the_event(ws, slack):
    ws.adapter.outbox._dm_channels.clear()
    slack.fail("chat.postMessage", "restricted_action")
    action = DirectMessage(("U0BOB",), Message("thank you"), near="C0MAIN")
    [delivery] = await ws.adapter.send("slack:T0001", [action])
    assert delivery.status == "dm_refused"
    assert ws.channel() == ["<@U0BOB>\nthank you"]


async def test_a_long_message_is_split_across_several_posts(ws, slack):
    await ws.command("alice", "big")
    posts = slack.calls_to("chat.postMessage", ok=True)
    assert [len(p.args["blocks"]) for p in posts] == [50, 20]


async def test_a_channel_the_bot_is_not_in_is_joined_then_posted(ws, slack):
    await ws.command("alice", "post hi", channel="C0OTHER")
    assert [c.method for c in slack.calls if c.method.startswith(("chat", "conv"))] == [
        "chat.postMessage",
        "conversations.join",
        "chat.postMessage",
    ]
    assert ws.channel("C0OTHER") == ["hi\n[Next]"]


async def test_a_form_without_a_fresh_interaction_is_reported_failed(ws):
    form = Form("b:share:1", "Share", (Input("text", "What?"),), "Share")
    [delivery] = await ws.adapter.send("slack:T0001", [OpenForm("U0BOB", form)])
    assert delivery.status == "failed" and delivery.detail == "no_trigger"


async def test_an_update_after_a_restart_finds_the_message(ws, slack, core, settings, vtime, refs):
    await ws.command("alice", "post board")
    again = make_adapter(core, settings, vtime, refs)  # a new process; the refs table survived
    [delivery] = await again.send("slack:T0001", [Update("board", Message("after restart"))])
    assert delivery.status == "ok"
    assert ws.channel() == ["after restart"]


async def test_a_core_failure_is_logged_and_the_caller_is_told(ws, core):
    response = await ws.command("alice", "boom")
    assert response.status == 200
    [apology] = ws.whispers("alice")
    assert "すみません" in apology


async def test_a_fan_out_of_dms_paces_itself_instead_of_hitting_429(ws, slack, vtime):
    for i in range(60):
        slack.add_user(f"U1{i:04d}", f"p{i}")
    actions = [DirectMessage((f"U1{i:04d}",), Message("keep it warm")) for i in range(60)]
    deliveries = await ws.adapter.send("slack:T0001", actions)
    assert {d.status for d in deliveries} == {"ok"}
    assert len(slack.calls_to("conversations.open", ok=True)) == 60
    assert all(c.status == 200 for c in slack.calls)
    assert vtime.now - 1_000.0 >= (60 - 10) / (50 / 60) - 1  # Tier 3: about 50 a minute after a burst


async def test_http_mode_serves_bolt_and_refuses_bad_signatures(slack, core, settings, vtime, refs):
    adapter = make_adapter(core, settings, vtime, refs)
    slack.add_user("U0BOB", "bob")
    await adapter.start()
    try:
        url = f"http://127.0.0.1:{adapter.port}/slack/events"
        body = sr.slash_command_body("post over http", user="U0BOB", trigger_id=slack.new_trigger_id())
        async with aiohttp.ClientSession() as http:
            _, good = sr.signed(body)
            async with http.post(url, data=body, headers=good) as answer:
                assert answer.status == 200
            _, bad = sr.signed(body, secret="wrong")
            async with http.post(url, data=body, headers=bad) as answer:
                assert answer.status == 401
        await adapter.settle()
        assert slack.texts("C0MAIN") == ["over http\n[Next]"]
    finally:
        await adapter.stop()


async def test_socket_mode_receives_a_slash_command_and_acks_it(slack, core, vtime, refs):
    settings = slack_settings(slack.api_url, slack_app_token=SecretStr(APP_TOKEN), slack_signing_secret=None)
    adapter = make_adapter(core, settings, vtime, refs)
    slack.add_user("U0BOB", "bob")
    await adapter.start()
    try:
        await slack.socket_connected()
        payload = sr.slash_command("post over the socket", user="U0BOB", trigger_id=slack.new_trigger_id())
        ack = await slack.socket_send("slash_commands", payload)
        assert set(ack) >= {"envelope_id"}
        await adapter.settle()
        assert slack.texts("C0MAIN") == ["over the socket\n[Next]"]
        assert len(slack.calls_to("apps.connections.open")) == 1
        # A click arrives as an `interactive` envelope, and is acked the same way.
        ts = slack.messages["C0MAIN"][0]["ts"]
        click = sr.block_actions("t:next:1", user="U0BOB", message_ts=ts, trigger_id=slack.new_trigger_id())
        assert "envelope_id" in await slack.socket_send("interactive", click)
        await adapter.settle()
        assert slack.texts("C0MAIN") == ["pressed by <@U0BOB>\n[Next]"]
    finally:
        await adapter.stop()


def test_http_mode_without_a_signing_secret_is_a_clear_error(slack, core):
    with pytest.raises(ValueError, match="SLACK_SIGNING_SECRET"):
        SlackAdapter(core, None, slack_settings(slack.api_url, slack_signing_secret=None))


def test_oauth_with_an_app_token_is_a_clear_error(slack, core):
    settings = slack_settings(
        slack.api_url,
        slack_app_token=SecretStr(APP_TOKEN),
        slack_client_id="1.2",
        slack_client_secret=SecretStr("s"),
    )
    with pytest.raises(ValueError, match="HTTP mode"):
        SlackAdapter(core, None, settings)


def test_tokens_are_read_from_secret_fields():
    class Secret:
        def get_secret_value(self) -> str:
            return "xoxb-from-secret"

    class Settings:
        slack_bot_token = Secret()
        slack_port = 3100

    from adapters.slack.settings import SlackSettings as Read

    read = Read.of(Settings())
    assert read.bot_token == "xoxb-from-secret" and read.port == 3100 and not read.socket_mode


async def test_the_ack_never_waits_for_the_core(ws, core, slack):
    """A core stuck on a slow database still gets Slack its ack; the answer follows when the core is done."""
    release = asyncio.Event()
    handle = core.handle

    async def slow_handle(event):
        await release.wait()
        return await handle(event)

    core.handle = slow_handle
    body = sr.slash_command_body("post late", user="U0BOB", trigger_id=slack.new_trigger_id())
    response = await ws.adapter.app.async_dispatch(AsyncBoltRequest(body=body, headers=sr.signed(body)[1]))
    assert response.status == 200
    assert ws.channel() == []  # acked, and nothing done yet
    release.set()
    await ws.adapter.settle()
    assert ws.channel() == ["late\n[Next]"]


async def test_a_burst_is_worked_on_a_bounded_number_at_a_time(ws, core, slack):
    """Work after the ack is bounded: a burst of 40 is answered, never more than WORKERS at once."""
    from adapters.slack.adapter import WORKERS

    busy, most = 0, 0
    handle = core.handle

    async def counted(event):
        nonlocal busy, most
        busy += 1
        most = max(most, busy)
        for _ in range(3):
            await asyncio.sleep(0)
        busy -= 1
        return await handle(event)

    core.handle = counted
    for i in range(40):
        body = sr.slash_command_body(f"post n{i}", user="U0BOB", trigger_id=slack.new_trigger_id())
        await ws.adapter.app.async_dispatch(AsyncBoltRequest(body=body, headers=sr.signed(body)[1]))
    await ws.adapter.settle()
    assert most == WORKERS < 40
    assert sorted(ws.channel()) == sorted(f"n{i}\n[Next]" for i in range(40))


async def test_an_update_that_grows_posts_more_and_one_that_shrinks_deletes_the_rest(ws, slack):
    send = ws.adapter.send
    long_text = "\n\n".join(f"line {i} " + "x" * 2900 for i in range(70))  # two Slack messages
    await send("slack:T0001", [Post("C0MAIN", Message("short"), ref="board")])
    await send("slack:T0001", [Update("board", Message(long_text))])
    assert len(slack.messages["C0MAIN"]) == 2
    assert [c.method for c in slack.calls if c.method.startswith("chat.")][-2:] == [
        "chat.update",
        "chat.postMessage",
    ]
    await send("slack:T0001", [Update("board", Message("short again"))])
    assert ws.channel() == ["short again"]
    [delivery] = await send("slack:T0001", [Update("board", Message("and again"))])
    assert delivery.status == "ok" and ws.channel() == ["and again"]


async def test_an_update_of_an_unknown_ref_is_reported_failed(ws):
    [delivery] = await ws.adapter.send("slack:T0001", [Update("never-posted", Message("x"))])
    assert delivery.status == "failed" and delivery.detail == "message_not_found"


async def test_a_reply_where_the_bot_cannot_whisper_becomes_a_dm(ws, slack):
    slack.add_channel("C0SECRET", "secret", bot_member=False, private=True)
    [delivery] = await ws.adapter.send("slack:T0001", [Reply("U0BOB", "C0SECRET", Message("only you"))])
    assert delivery.status == "ok"
    assert ws.dms("bob") == ["only you"]


async def test_actions_to_one_channel_keep_their_order(ws, slack):
    actions = [Post("C0MAIN", Message(f"m{i}")) for i in range(8)] + [Reply("U0BOB", "C0MAIN", Message("r"))]
    deliveries = await ws.adapter.send("slack:T0001", actions)
    assert [d.action for d in deliveries] == actions
    assert ws.channel() == [f"m{i}" for i in range(8)]


async def test_a_refused_response_url_falls_back_to_an_ephemeral_message(ws, slack):
    dead = f"http://127.0.0.1:{slack.port}/commands/T0001/expired"  # Slack answers 404 to a dead hook
    body = sr.slash_command_body("whisper still reaches you", user="U0BOB", response_url=dead)
    await ws.dispatch(*sr.signed(body))
    assert ws.whispers("bob") == ["still reaches you"]
    assert len(slack.calls_to("chat.postEphemeral", ok=True)) == 1


async def test_a_429_that_outlives_the_retries_is_reported_for_the_senders_queue(ws, slack):
    """The nudge sender's PacedQueue holds and tries again when a Delivery says `rate_limited`."""
    from bot.pacing import retry_after_of

    slack.rate_limit("chat.postMessage", times=4, retry_after=30)
    [delivery] = await ws.adapter.send("slack:T0001", [Post("C0MAIN", Message("later"))])
    assert delivery.status == "failed" and retry_after_of(delivery.detail) == 30
    [delivery] = await ws.adapter.send("slack:T0001", [Post("C0MAIN", Message("now"))])
    assert delivery.status == "ok" and ws.channel() == ["now"]
