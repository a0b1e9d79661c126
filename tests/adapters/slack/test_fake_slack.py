"""The fake Slack refuses what Slack refuses: the adapter's tests are only as good as this fake."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.adapters.slack.harness import VirtualTime
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack


@pytest.fixture
def vtime() -> VirtualTime:
    return VirtualTime()


@pytest.fixture
async def slack(vtime):
    async with FakeSlack(clock=lambda: 1_760_000_000.0 + vtime.clock()) as fake:
        fake.add_user("U0ALICE", "alice", locale="ja-JP")
        fake.add_user("U0BOB", "bob")
        fake.add_channel("C0MAIN", "main")
        yield fake


@pytest.fixture
def client(slack):
    return AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)


async def test_post_message_answers_channel_and_ts_and_is_recorded(slack, client):
    answer = await client.chat_postMessage(channel="C0MAIN", text="hello")
    assert answer["channel"] == "C0MAIN" and answer["ts"]
    assert slack.texts("C0MAIN") == ["hello"]
    assert [c.method for c in slack.calls] == ["chat.postMessage"]


async def test_more_than_fifty_blocks_are_refused(slack, client):
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}] * 51
    with pytest.raises(SlackApiError) as refused:
        await client.chat_postMessage(channel="C0MAIN", text="x", blocks=blocks)
    assert refused.value.response["error"] == "invalid_blocks"


async def test_section_text_over_3000_and_long_action_ids_are_refused(slack, client):
    for blocks in (
        [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
        [
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "text": {"type": "plain_text", "text": "b"}, "action_id": "a" * 256}
                ],
            }
        ],
    ):
        with pytest.raises(SlackApiError):
            await client.chat_postMessage(channel="C0MAIN", text="x", blocks=blocks)


async def test_modal_limits_and_single_use_triggers(slack, client, vtime):
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "t" * 25},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}],
    }
    trigger = slack.new_trigger_id()
    with pytest.raises(SlackApiError) as refused:
        await client.views_open(trigger_id=trigger, view=view)
    assert refused.value.response["error"] == "invalid_arguments"
    view["title"]["text"] = "ok"
    with pytest.raises(SlackApiError) as spent:  # the failed try spent the trigger
        await client.views_open(trigger_id=trigger, view=view)
    assert spent.value.response["error"] == "exchanged_trigger_id"
    trigger = slack.new_trigger_id()
    await client.views_open(trigger_id=trigger, view=view)
    with pytest.raises(SlackApiError) as reused:  # what Slack says to a trigger used twice
        await client.views_open(trigger_id=trigger, view=view)
    assert reused.value.response["error"] == "exchanged_trigger_id"
    with pytest.raises(SlackApiError) as unknown:
        await client.views_open(trigger_id="1.2.never-issued", view=view)
    assert unknown.value.response["error"] == "invalid_trigger_id"
    in_time = slack.new_trigger_id()
    vtime.now += 3  # three seconds after the click: still good
    await client.views_open(trigger_id=in_time, view=view)
    late = slack.new_trigger_id()
    vtime.now += 3.01  # a moment past Slack's 3 seconds, on the test's clock
    with pytest.raises(SlackApiError) as expired:
        await client.views_open(trigger_id=late, view=view)
    assert expired.value.response["error"] == "expired_trigger_id"


async def test_rate_limit_answers_429_with_retry_after(slack, client):
    slack.rate_limit("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as limited:
        await client.chat_postMessage(channel="C0MAIN", text="x")
    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "7"
    await client.chat_postMessage(channel="C0MAIN", text="x")


async def test_conversations_open_single_group_and_errors(slack, client):
    single = await client.conversations_open(users="U0ALICE")
    group = await client.conversations_open(users="U0ALICE,U0BOB")
    assert single["channel"]["id"].startswith("D") and group["channel"]["id"].startswith("G")
    assert (await client.conversations_open(users="U0BOB,U0ALICE"))["channel"]["id"] == group["channel"]["id"]
    for users, error in (("U0NOBODY", "user_not_found"), ("UBOT", "cannot_dm_bot")):
        with pytest.raises(SlackApiError) as refused:
            await client.conversations_open(users=users)
        assert refused.value.response["error"] == error


async def test_users_info_gives_locale_only_when_asked(slack, client):
    with_locale = await client.users_info(user="U0ALICE", include_locale=True)
    assert with_locale["user"]["locale"] == "ja-JP"
    assert "locale" not in (await client.users_info(user="U0ALICE"))["user"]


async def test_unknown_token_is_refused(slack):
    with pytest.raises(SlackApiError) as refused:
        await AsyncWebClient(token="xoxb-wrong", base_url=slack.api_url).auth_test()
    assert refused.value.response["error"] == "invalid_auth"
