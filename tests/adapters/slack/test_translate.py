"""Slack payloads become the core's events, with tenant, user, channel, locale and a stable request id."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.slack import translate
from adapters.slack.translate import Profile
from bot.events import ButtonPressed, Caller, CommandInvoked, FormSubmitted
from tests.fakes import slack_requests as sr


def test_slash_command_becomes_command_invoked_with_clean_mentions():
    payload = sr.slash_command(
        "turns <@U0BOB|bob> <@U0CAROL> --minutes 3", user="U0ALICE", user_name="alice", trigger_id="1.2.abc"
    )
    event = translate.command(payload, Profile(locale="ja-JP", name="Alice A."))
    assert event == CommandInvoked(
        caller=Caller(
            tenant="slack:T0001", user="U0ALICE", channel="C0MAIN", locale="ja-JP", name="Alice A."
        ),
        text="turns <@U0BOB> <@U0CAROL> --minutes 3",
        request_id="cmd:1.2.abc",
    )


def test_command_without_profile_falls_back_to_the_payload_user_name():
    event = translate.command(sr.slash_command("help", user="U0ALICE", user_name="alice"))
    assert event.caller.name == "alice"
    assert event.caller.locale is None


def test_the_same_delivery_has_the_same_request_id_and_another_does_not():
    first = sr.slash_command("join", user="U0ALICE", trigger_id="9.9.x")
    assert translate.command(first).request_id == translate.command(dict(first)).request_id
    other = sr.slash_command("join", user="U0ALICE")
    assert translate.command(other).request_id != translate.command(first).request_id


def test_button_press_carries_the_namespaced_action_and_the_message_channel():
    payload = sr.block_actions("turns:next:42", user="U0BOB", channel="C0MAIN", trigger_id="5.6.t")
    event = translate.button(payload, Profile(locale="en-US"))
    assert event == ButtonPressed(
        caller=Caller(tenant="slack:T0001", user="U0BOB", channel="C0MAIN", locale="en-US", name="u0bob"),
        action_id="turns:next:42",
        request_id="act:5.6.t",
    )


def test_view_submission_values_are_keyed_by_input_name_and_channel_comes_from_metadata():
    view = {
        "type": "modal",
        "callback_id": "barriers:share:7",
        "id": "V123",
        "private_metadata": translate.form_metadata("C0MAIN"),
        "blocks": [
            {
                "type": "input",
                "block_id": "text",
                "element": {"type": "plain_text_input", "action_id": "text"},
            },
            {
                "type": "input",
                "block_id": "category",
                "element": {
                    "type": "static_select",
                    "action_id": "category",
                    "options": [{"text": {"type": "plain_text", "text": "Fear"}, "value": "fear"}],
                },
            },
            {
                "type": "input",
                "block_id": "note",
                "element": {"type": "plain_text_input", "action_id": "note"},
            },
        ],
    }
    payload = sr.view_submission(
        view, {"text": "I fear <@U1|x> looking foolish", "category": "fear"}, user="U0CAROL"
    )
    event = translate.form(payload)
    assert event == FormSubmitted(
        caller=Caller(tenant="slack:T0001", user="U0CAROL", channel="C0MAIN", locale=None, name="u0carol"),
        form_id="barriers:share:7",
        values={"text": "I fear <@U1> looking foolish", "category": "fear", "note": ""},
        request_id="view:V123",
    )


def test_view_submission_without_metadata_has_no_channel():
    view = {"type": "modal", "callback_id": "x:y:1", "id": "V1", "blocks": []}
    assert translate.form(sr.view_submission(view, {}, user="U1")).caller.channel is None


def test_app_mention_is_a_command_named_by_its_event_id():
    body = sr.event_callback(sr.app_mention("<@UBOT> join --org Fujitsu", user="U0BOB"), event_id="Ev01")
    event = translate.mention(body, "UBOT")
    assert event is not None
    assert event.text == "join --org Fujitsu"
    assert event.request_id == "evt:Ev01"
    assert event.caller.tenant == "slack:T0001"


def test_a_mention_of_someone_else_first_is_not_a_command():
    body = sr.event_callback(sr.app_mention("hey <@U0BOB> see <@UBOT>", user="U0ALICE"), event_id="Ev02")
    assert translate.mention(body, "UBOT") is None


def test_tenant_round_trip_and_foreign_tenants_refused():
    assert translate.team_of(translate.tenant("T9")) == "T9"
    with pytest.raises(ValueError):
        translate.team_of("discord:123")


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(max_size=300), values=st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=50))
)
def test_any_text_slack_sends_translates_without_error_and_mentions_come_out_clean(text, values):
    event = translate.command(sr.slash_command(text, user="U0BOB"))
    assert not re.search(r"<@[UW][A-Z0-9]+\|", event.text)
    view = {
        "type": "modal",
        "callback_id": "barriers:form:1",
        "id": "V1",
        "private_metadata": text,  # whatever came back, a bad value only loses the channel
        "blocks": [
            {"type": "input", "block_id": name, "element": {"type": "plain_text_input", "action_id": name}}
            for name in values
        ],
    }
    submitted = translate.form(sr.view_submission(view, values, user="U0BOB"))
    assert set(submitted.values) == set(values)
    assert submitted.caller.channel is None or isinstance(submitted.caller.channel, str)
    weird = translate.form(
        sr.view_submission({**view, "private_metadata": '{"channel": 5}'}, values, user="U0B")
    )
    assert weird.caller.channel is None
