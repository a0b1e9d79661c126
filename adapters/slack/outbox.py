"""The Outbox port for Slack: the core's actions -> Web API calls, each reported back as a `Delivery`.

Forms go first (a trigger_id lives 3 seconds). Actions for different destinations go out concurrently,
those for one destination in order, every call paced (see pacing.py). A Post or DM with a `ref` is
remembered as channel + timestamps so a later `Update` finds it, also after a restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, Protocol

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.pacing import Pacer
from adapters.slack.profiles import Profiles
from adapters.slack.render import SlackMessage, mrkdwn, render_form, render_message
from adapters.slack.translate import team_of
from bot.actions import (
    Action,
    Delivery,
    DirectMessage,
    Floor,
    Forget,
    Message,
    OpenForm,
    Post,
    Reply,
    Update,
    Upload,
)
from bot.pacing import rate_limited_detail

log = logging.getLogger(__name__)

GROUP_DM_USERS = 8  # conversations.open takes at most 8 other people
UNKNOWN_USER = {"user_not_found", "users_not_found", "cannot_dm_bot", "user_disabled", "user_not_visible"}
DM_REFUSED = {
    "restricted_action",
    "messages_tab_disabled",
    "not_in_channel",
    "is_archived",
    "channel_not_found",
}


@dataclass(frozen=True, slots=True)
class Interaction:
    """What Slack handed us with an inbound event, usable only to answer that event."""

    user: str
    channel: str | None = None
    trigger_id: str | None = None
    response_url: str | None = None
    locale: str | None = None


class MessageRefs(Protocol):
    """Where a named message went: (tenant, ref) -> its channel and the timestamps of its parts."""

    async def save(self, tenant: str, ref: str, channel: str, stamps: list[str]) -> None: ...

    async def load(self, tenant: str, ref: str) -> tuple[str, list[str]] | None: ...


class MemoryRefs:
    """MessageRefs in a dict, for an adapter built without a store."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], tuple[str, list[str]]] = {}

    async def save(self, tenant: str, ref: str, channel: str, stamps: list[str]) -> None:
        self.rows[(tenant, ref)] = (channel, list(stamps))

    async def load(self, tenant: str, ref: str) -> tuple[str, list[str]] | None:
        return self.rows.get((tenant, ref))


class StoreRefs:
    """MessageRefs in the `message_ref` table (bot/store/refs.py): updates work after a restart.

    A message split into several parts keeps its timestamps comma-separated in `message_id`, all of them.
    """

    def __init__(self, store: Any) -> None:
        self._store = store

    async def save(self, tenant: str, ref: str, channel: str, stamps: list[str]) -> None:
        from bot.store import refs

        async with self._store.session() as session:
            await refs.remember(session, tenant=tenant, ref=ref, channel=channel, message_id=",".join(stamps))

    async def load(self, tenant: str, ref: str) -> tuple[str, list[str]] | None:
        from bot.store import refs

        async with self._store.session() as session:
            row = await refs.find(session, tenant=tenant, ref=ref)
        return (row.channel, row.message_id.split(",")) if row else None


# What views.open says when a click's trigger_id can open no form, and what the person is told then.
FORM_REFUSED = {
    "expired_trigger_id": "slack.form_expired",
    "invalid_trigger_id": "slack.form_expired",
    "exchanged_trigger_id": "slack.form_used",
}


class Refused(Exception):
    """Slack said no: `code` is Slack's error code (`rate_limited` for a 429 that outlived its retries)."""

    def __init__(self, code: str, retry_after: float | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.retry_after = retry_after

    @property
    def detail(self) -> str:
        return rate_limited_detail(self.retry_after) if self.code == "rate_limited" else self.code


def _retry_after(headers: Any) -> float | None:
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            value = value[0] if isinstance(value, list | tuple) else value
            try:
                return float(value)
            except (TypeError, ValueError):
                return None
    return None


def _status(code: str, *, direct: bool) -> str:
    if code in UNKNOWN_USER:
        return "unknown_user"
    if direct and code in DM_REFUSED:
        return "dm_refused"
    return "failed"


class SlackOutbox:
    """Sends the core's actions to one or many workspaces."""

    def __init__(
        self,
        *,
        client_for: Callable[[str], Awaitable[AsyncWebClient]],
        refs: MessageRefs,
        profiles: Profiles,
        text: Callable[[str | None, str], str],
        channel_pacer: Pacer,
        team_pacer: Pacer,
        open_pacer: Pacer,
    ) -> None:
        self._client_for = client_for
        self._refs = refs
        self._profiles = profiles
        self._text = text
        self._channel_pacer = channel_pacer
        self._team_pacer = team_pacer
        self._open_pacer = open_pacer
        self._dm_channels: dict[tuple[str, frozenset[str]], str] = {}

    async def send(
        self, tenant: str, actions: list[Action], *, interaction: Interaction | None = None
    ) -> list[Delivery]:
        team = team_of(tenant)
        try:
            client = await self._client_for(team)
        except LookupError as missing:  # uninstalled since the timer was set
            log.warning("%s", missing)
            return [Delivery(action, "failed", "not_installed") for action in actions]
        await self._profiles.load_names(team)  # names for headers and labels, known after a restart too
        results: dict[int, Delivery] = {}
        # A trigger_id dies 3 seconds after the click: forms before anything else.
        for i, action in enumerate(actions):
            if isinstance(action, OpenForm):
                results[i] = await self._deliver(client, tenant, team, action, interaction)
        lanes: dict[Hashable, list[int]] = {}
        lane_of_ref: dict[str, Hashable] = {}
        for i, action in enumerate(actions):
            if isinstance(action, OpenForm):
                continue
            lane = _lane(action)
            if isinstance(action, Update) and action.ref in lane_of_ref:
                # An update of a message posted in this same batch waits for that post.
                lane = lane_of_ref[action.ref]
            elif isinstance(action, Post | DirectMessage) and action.ref is not None:
                lane_of_ref[action.ref] = lane
            lanes.setdefault(lane, []).append(i)

        async def run(lane: list[int]) -> None:
            for i in lane:
                results[i] = await self._deliver(client, tenant, team, actions[i], interaction)

        await asyncio.gather(*(run(lane) for lane in lanes.values()))
        return [results[i] for i in range(len(actions))]

    async def _deliver(
        self, client: AsyncWebClient, tenant: str, team: str, action: Action, interaction: Interaction | None
    ) -> Delivery:
        try:
            match action:
                case Post():
                    await self._post(client, tenant, team, action.channel, action.message, action.ref)
                case DirectMessage():
                    return await self._direct(client, tenant, team, action)
                case Reply():
                    await self._reply(client, team, action, interaction)
                case Update():
                    await self._update(client, tenant, team, action)
                case OpenForm():
                    await self._open_form(client, team, action, interaction)
                case Floor():
                    pass  # Slack has no voice channel to mute; the floor is announced in text already
                case Upload():
                    await self._upload(client, team, action)
                case Forget():
                    pass  # Slack has no mute or other platform state of ours to undo for a person
                case _:
                    raise TypeError(f"unsupported action {type(action).__name__}")
        except Refused as refused:
            log.warning("Slack refused a %s in %s: %s", type(action).__name__, team, refused.code)
            return Delivery(action, _status(refused.code, direct=False), refused.detail)
        except Exception as e:
            log.exception("Could not deliver a %s in %s", type(action).__name__, team)
            return Delivery(action, "failed", type(e).__name__)
        return Delivery(action)

    # ---- calls ---------------------------------------------------------------------------------------------

    async def _call(self, client: AsyncWebClient, method: str, **kwargs: Any) -> dict[str, Any]:
        try:
            answer = await client.api_call(method, json=kwargs)
        except SlackApiError as e:
            if e.response.status_code == 429:  # still limited after the client's own retries
                raise Refused("rate_limited", _retry_after(e.response.headers)) from None
            raise Refused(str(e.response.get("error") or e.response.status_code)) from None
        return answer.data  # type: ignore[return-value]

    async def _chat(
        self, client: AsyncWebClient, team: str, channel: str, method: str, **kwargs: Any
    ) -> dict[str, Any]:
        await self._channel_pacer.wait((team, channel))
        await self._team_pacer.wait(team)
        try:
            return await self._call(client, method, channel=channel, **kwargs)
        except Refused as refused:
            if refused.code == "rate_limited":  # the others bound for this channel wait it out too
                self._channel_pacer.hold((team, channel), refused.retry_after or 1.0)
            raise

    def _render(self, team: str, message: Message) -> list[SlackMessage]:
        return render_message(message, self._profiles.names(team))

    # ---- actions -------------------------------------------------------------------------------------------

    async def _post(
        self, client: AsyncWebClient, tenant: str, team: str, channel: str, message: Message, ref: str | None
    ) -> str:
        stamps: list[str] = []
        for part in self._render(team, message):
            try:
                answer = await self._chat(client, team, channel, "chat.postMessage", **part.payload())
            except Refused as refused:
                if refused.code != "not_in_channel" or stamps:
                    raise
                await self._call(client, "conversations.join", channel=channel)  # public channels only
                answer = await self._chat(client, team, channel, "chat.postMessage", **part.payload())
            channel = answer["channel"]
            stamps.append(answer["ts"])
        if ref is not None:
            await self._refs.save(tenant, ref, channel, stamps)
        return channel

    async def _open(self, client: AsyncWebClient, team: str, users: tuple[str, ...]) -> str:
        key = (team, frozenset(users))
        if key not in self._dm_channels:
            await self._open_pacer.wait(team)
            answer = await self._call(client, "conversations.open", users=",".join(sorted(set(users))))
            self._dm_channels[key] = answer["channel"]["id"]
        return self._dm_channels[key]

    async def _upload(self, client: AsyncWebClient, team: str, action: Upload) -> None:
        """Files into the person's DM, Slack's way (files_upload_v2: an upload URL per file, the bytes
        posted there, then one completion that shares them all with a comment)."""
        channel = await self._open(client, team, action.users)
        await self._team_pacer.wait(team)
        try:
            await client.files_upload_v2(
                channel=channel,
                file_uploads=[
                    {"content": a.data, "filename": a.filename, "title": a.title} for a in action.files
                ],
                initial_comment=mrkdwn(action.text) if action.text else None,
            )
        except SlackApiError as e:
            raise Refused(str(e.response.get("error") or e.response.status_code)) from None

    async def _direct(
        self, client: AsyncWebClient, tenant: str, team: str, action: DirectMessage
    ) -> Delivery:
        try:
            if len(set(action.users)) > GROUP_DM_USERS:
                raise Refused("too_many_users")
            channel = await self._open(client, team, action.users)
            await self._post(client, tenant, team, channel, action.message, action.ref)
            return Delivery(action)
        except Refused as refused:
            status = _status(refused.code, direct=True)
            if refused.code == "too_many_users":
                status = "dm_refused"
            if status == "dm_refused" and action.near:
                # Where a DM cannot go, the people are mentioned beside the event instead.
                mentions = " ".join(f"<@{u}>" for u in action.users)  # a line that pings, not a sentence
                fallback = Message(
                    text=f"{mentions}\n{action.message.text}",
                    title=action.message.title,
                    fields=action.message.fields,
                    buttons=action.message.buttons,
                )
                await self._post(client, tenant, team, action.near, fallback, action.ref)
                return Delivery(action, status, f"{refused.code}; mentioned in {action.near}")
            log.warning("A DM in %s was not delivered: %s", team, refused.code)
            return Delivery(action, status, refused.detail)

    async def _reply(
        self, client: AsyncWebClient, team: str, action: Reply, interaction: Interaction | None
    ) -> None:
        parts = self._render(team, action.message)
        if (
            interaction
            and interaction.response_url
            and (interaction.user, interaction.channel) == (action.user, action.channel)
        ):
            # response_url works where the bot is not a member (a DM between two people, a private channel).
            hook = AsyncWebhookClient(interaction.response_url)
            for i, part in enumerate(parts):
                answer = await hook.send(response_type="ephemeral", replace_original=False, **part.payload())
                if answer.status_code != 200:
                    if i:  # part of the reply is out already; the rest cannot follow another way
                        raise Refused(answer.body or str(answer.status_code))
                    log.info("A response_url was refused (%s); whispering another way", answer.status_code)
                    break
            else:
                return
        if action.channel is not None:
            try:
                for part in parts:
                    await self._chat(
                        client, team, action.channel, "chat.postEphemeral", user=action.user, **part.payload()
                    )
                return
            except Refused as refused:
                if refused.code not in {"channel_not_found", "not_in_channel", "user_not_in_channel"}:
                    raise
        channel = await self._open(client, team, (action.user,))  # nowhere else to whisper: a DM
        for part in parts:
            await self._chat(client, team, channel, "chat.postMessage", **part.payload())

    async def _update(self, client: AsyncWebClient, tenant: str, team: str, action: Update) -> None:
        stored = await self._refs.load(tenant, action.ref)
        if stored is None:
            raise Refused("message_not_found")
        channel, stamps = stored[0], list(stored[1])
        parts = self._render(team, action.message)
        for ts, part in zip(stamps, parts, strict=False):
            await self._chat(client, team, channel, "chat.update", ts=ts, **part.payload())
        for part in parts[len(stamps) :]:  # the new text needs more messages than the old one
            answer = await self._chat(client, team, channel, "chat.postMessage", **part.payload())
            stamps.append(answer["ts"])
        for ts in stamps[len(parts) :]:  # and fewer: the surplus goes
            await self._chat(client, team, channel, "chat.delete", ts=ts)
        await self._refs.save(tenant, action.ref, channel, stamps[: max(len(parts), 1)])

    async def _open_form(
        self, client: AsyncWebClient, team: str, action: OpenForm, interaction: Interaction | None
    ) -> None:
        if interaction is None or interaction.trigger_id is None or interaction.user != action.user:
            raise Refused("no_trigger")  # Slack opens a modal only in answer to that person's own click
        view = render_form(
            action.form,
            close_label=self._text(interaction.locale, "slack.close"),
            channel=interaction.channel,
            names=self._profiles.names(team),
        )
        try:
            await self._call(client, "views.open", trigger_id=interaction.trigger_id, view=view.to_dict())
        except Refused as refused:
            # The click's 3 seconds ran out (a slow moment), or its one form is open already: say so and
            # ask for another click, rather than leave the person waiting for a form that never comes.
            key = FORM_REFUSED.get(refused.code)
            if key is not None:
                again = Message(self._text(interaction.locale, key))
                await self._reply(client, team, Reply(action.user, interaction.channel, again), interaction)
            raise


def _lane(action: Action) -> Hashable:
    """Actions in the same lane go out in order; lanes run side by side."""
    match action:
        case Post():
            return ("channel", action.channel)
        case DirectMessage():
            return ("dm", frozenset(action.users))
        case Reply():
            return ("reply", action.user, action.channel)
        case Update():
            return ("ref", action.ref)
    return ("other", id(action))
