"""A local stand-in for Slack: the Web API, response_urls and a Socket Mode WebSocket, on 127.0.0.1.

It answers like Slack (`ok`, `channel`, `ts`, Slack's error codes), records every call, checks payloads
against Slack's documented Block Kit limits on its own (independently of slack_sdk's models, so a raw
dict that Slack would refuse is refused here too), and can be told to answer 429 with `Retry-After`.

Its clock is the test's (`clock`, seconds): a trigger_id is good for one views.open within 3 seconds of
the click on that clock (later: `expired_trigger_id`; a second use: `exchanged_trigger_id`). Give it the
virtual time that the adapter's pacing sleeps on, or `time.time` for a test on the real clock.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

from tests.fakes.slack_limits import MESSAGE_BLOCKS, MESSAGE_TEXT, block_errors, view_errors

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"

GROUP_DM_USERS = 8


@dataclass
class Call:
    """One request the fake received, and what it answered."""

    method: str
    args: dict[str, Any]
    token: str | None
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok"))


@dataclass
class Team:
    id: str
    name: str
    bot_token: str
    bot_user: str
    bot_id: str


class FakeSlack:
    """An aiohttp server on 127.0.0.1 (random port) that behaves like the parts of Slack the bot uses.

    `fake.api_url` is the `base_url` for slack_sdk's clients. Every Web API call lands in `fake.calls`.
    """

    def __init__(
        self,
        *,
        team_id: str = "T0001",
        team_name: str = "Yorimichi",
        bot_user: str = "UBOT",
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.teams: dict[str, Team] = {}
        self.add_team(team_id, team_name, bot_token=BOT_TOKEN, bot_user=bot_user)
        self.team_id = team_id
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.ephemerals: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []  # posts to response_urls
        self.private: list[
            tuple[str | None, str | None, dict[str, Any]]
        ] = []  # (user, channel, message) in order
        self.views: list[dict[str, Any]] = []
        self.files: dict[
            str, dict[str, Any]
        ] = {}  # file id -> filename, promised length, bytes once uploaded
        self.uploads: list[dict[str, Any]] = []  # completed uploads: channel, comment, files
        self.calls: list[Call] = []
        self._rate_limits: dict[str, deque[int]] = defaultdict(deque)
        self._failures: dict[str, deque[str]] = defaultdict(deque)
        self._triggers: dict[str, float] = {}
        self._spent_triggers: set[str] = set()
        self.trigger_ages: list[float] = []  # seconds from click to views.open, for each trigger used
        self._oauth_codes: dict[str, tuple[str, str, str]] = {}
        self._response_users: dict[str, tuple[str | None, str | None]] = {}
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._clock = clock or time.time  # the real clock unless the test brings its own
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._sockets: list[web.WebSocketResponse] = []
        self._socket_connected = asyncio.Event()
        self._socket_acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.add_user(bot_user, "tsunagari", is_bot=True)

    # ---- set-up --------------------------------------------------------------------------------------------

    def add_team(self, team_id: str, name: str, *, bot_token: str, bot_user: str = "UBOT") -> Team:
        team = Team(team_id, name, bot_token, bot_user, "B" + team_id[1:])
        self.teams[bot_token] = team
        return team

    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        locale: str = "en-US",
        tz: str = "Asia/Tokyo",
        tz_offset: int = 32400,
        real_name: str | None = None,
        is_bot: bool = False,
        deleted: bool = False,
    ) -> None:
        self.users[user_id] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "real_name": real_name or name.title(),
            "deleted": deleted,
            "is_bot": is_bot,
            "tz": tz,
            "tz_offset": tz_offset,
            "locale": locale,
            "profile": {"display_name": name, "real_name": real_name or name.title()},
        }

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        bot_member: bool = True,
        archived: bool = False,
        private: bool = False,
        outsiders: tuple[str, ...] = (),
    ) -> None:
        """A channel everyone is in, except the users in `outsiders` (and the bot, unless `bot_member`)."""
        self.channels[channel_id] = {
            "outsiders": set(outsiders),
            "id": channel_id,
            "name": name,
            "is_private": private,
            "bot_member": bot_member,
            "is_archived": archived,
            "is_im": False,
            "is_mpim": False,
        }

    def new_oauth_code(self, team_id: str, name: str, *, installer: str = "U0ADMIN") -> str:
        """What Slack hands the redirect URL when `installer` adds the app to workspace `team_id`."""
        code = f"code-{next(self._ids)}"
        self._oauth_codes[code] = (team_id, name, installer)
        return code

    def _oauth_v2_access(self, args: dict[str, Any]) -> dict[str, Any]:
        grant = self._oauth_codes.pop(str(args.get("code", "")), None)
        if grant is None:
            return _error("invalid_code")
        team_id, name, installer = grant
        token = f"xoxb-{team_id.lower()}-token"
        team = self.add_team(team_id, name, bot_token=token, bot_user="UBOT" + team_id[1:])
        self.users.setdefault(
            team.bot_user, {**self.users[next(iter(self.teams.values())).bot_user], "id": team.bot_user}
        )
        return {
            "ok": True,
            "app_id": "A0001",
            "authed_user": {"id": installer},
            "scope": "commands,chat:write",
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": team.bot_user,
            "team": {"id": team_id, "name": name},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def rate_limit(self, method: str, *, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls to `method` answer HTTP 429 with `Retry-After: retry_after`."""
        self._rate_limits[method].extend([retry_after] * times)

    def fail(self, method: str, error: str, *, times: int = 1) -> None:
        """The next `times` calls to `method` answer `{"ok": false, "error": error}`."""
        self._failures[method].extend([error] * times)

    def new_trigger_id(self) -> str:
        """A trigger_id as an interaction carries it: good for one views.open within 3 seconds."""
        trigger = f"{next(self._ids)}.{next(self._ids)}.trigger"
        self._triggers[trigger] = self._clock()
        return trigger

    def new_response_url(self, user: str | None = None, channel: str | None = None) -> str:
        """A response_url as an interaction carries it; what is posted to it is shown to `user` only."""
        n = next(self._ids)
        self._response_users[str(n)] = (user, channel)
        return f"http://127.0.0.1:{self.port}/commands/{self.team_id}/{n}/hook"

    # ---- reading what happened ----------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def calls_to(self, method: str, *, ok: bool | None = None) -> list[Call]:
        return [c for c in self.calls if c.method == method and (ok is None or c.ok == ok)]

    def texts(self, channel: str) -> list[str]:
        """What a reader sees in a channel: every message's text and block texts, oldest first."""
        return [message_text(m) for m in self.messages[channel]]

    def dm_channel(self, *users: str) -> str | None:
        wanted = set(users)
        for cid, c in self.channels.items():
            if (c["is_im"] or c["is_mpim"]) and set(c["members"]) == wanted:
                return cid
        return None

    # ---- lifecycle -----------------------------------------------------------------------------------------

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/commands/{team}/{n}/hook", self._response_url)
        app.router.add_get("/link/", self._socket)
        app.router.add_get("/_fake/stats", self._stats)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeSlack:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- the Web API ---------------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.method == "POST":
            raw = await request.text()
            if request.content_type == "application/json":
                args.update(json.loads(raw or "{}"))
            else:
                args.update(parse_qsl(raw, keep_blank_values=True))
        for key in ("blocks", "view", "attachments"):
            if isinstance(args.get(key), str):
                try:
                    args[key] = json.loads(args[key])
                except ValueError:
                    pass
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip() or args.pop("token", None)
        call = Call(method, args, token)
        self.calls.append(call)
        if self._rate_limits[method]:
            retry_after = self._rate_limits[method].popleft()
            call.status, call.response = 429, {"ok": False, "error": "ratelimited"}
            return web.json_response(call.response, status=429, headers={"Retry-After": str(retry_after)})
        call.response = self._answer(method, args, token)
        return web.json_response(call.response)

    def _answer(self, method: str, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        if method == "apps.connections.open":
            if token != APP_TOKEN:
                return _error("invalid_auth")
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link/?ticket={next(self._ids)}"}
        if method == "oauth.v2.access":
            return self._oauth_v2_access(args)
        team = self.teams.get(token or "")
        if team is None:
            return _error("not_authed" if not token else "invalid_auth")
        if self._failures[method]:
            return _error(self._failures[method].popleft())
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return _error("unknown_method")
        return handler(team, args)

    def _auth_test(self, team: Team, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{team.name.lower()}.slack.com/",
            "team": team.name,
            "user": "tsunagari",
            "team_id": team.id,
            "user_id": team.bot_user,
            "bot_id": team.bot_id,
            "is_enterprise_install": False,
        }

    def _users_info(self, team: Team, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(args.get("user", ""))
        if user is None:
            return _error("user_not_found")
        user = dict(user)
        if str(args.get("include_locale", "")).lower() not in {"1", "true"}:
            user.pop("locale")
        return {"ok": True, "user": user}

    def _conversations_open(self, team: Team, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel"):
            channel = self.channels.get(args["channel"])
            return {"ok": True, "channel": {"id": channel["id"]}} if channel else _error("channel_not_found")
        users = [u for u in str(args.get("users", "")).split(",") if u]
        if not users:
            return _error("users_list_not_supplied")
        if len(users) > GROUP_DM_USERS:
            return _error("too_many_users")
        for user_id in users:
            user = self.users.get(user_id)
            if user is None:
                return _error("user_not_found")
            if user["is_bot"]:
                return _error("cannot_dm_bot")
            if user["deleted"]:
                return _error("user_disabled")
        existing = self.dm_channel(*users)
        if existing:
            return {"ok": True, "no_op": True, "already_open": True, "channel": {"id": existing}}
        prefix = "D" if len(users) == 1 else "G"
        cid = f"{prefix}{next(self._ids):08d}"
        self.channels[cid] = {
            "id": cid,
            "name": cid,
            "bot_member": True,
            "is_archived": False,
            "is_im": len(users) == 1,
            "is_mpim": len(users) > 1,
            "members": users,
        }
        return {"ok": True, "channel": {"id": cid}}

    def _message_problems(self, args: dict[str, Any]) -> dict[str, Any] | None:
        if not args.get("text") and not args.get("blocks"):
            return _error("no_text")
        if len(args.get("text") or "") > MESSAGE_TEXT:
            return _error("msg_too_long")
        if "blocks" in args:
            errors = block_errors(args["blocks"], limit=MESSAGE_BLOCKS)
            if errors:
                return {
                    **_error("invalid_blocks"),
                    "errors": errors,
                    "response_metadata": {"messages": errors},
                }
        return None

    def _resolve_channel(self, channel_id: str) -> tuple[str | None, dict[str, Any] | None]:
        if channel_id in self.channels:
            channel = self.channels[channel_id]
            if channel["is_archived"]:
                return None, _error("is_archived")
            if not channel["bot_member"]:
                return None, _error("not_in_channel")
            return channel_id, None
        if channel_id in self.users:  # posting to a user id posts to the DM with that user
            opened = self._conversations_open(next(iter(self.teams.values())), {"users": channel_id})
            if not opened["ok"]:
                return None, opened
            return opened["channel"]["id"], None
        return None, _error("channel_not_found")

    def _chat_postMessage(self, team: Team, args: dict[str, Any]) -> dict[str, Any]:
        channel, problem = self._resolve_channel(args.get("channel", ""))
        problem = problem or self._message_problems(args)
        if problem:
            return problem
        ts = f"{int(self._clock())}.{next(self._ts):06d}"
        message = {
            "type": "message",
            "user": team.bot_user,
            "bot_id": team.bot_id,
            "ts": ts,
            "text": args.get("text", ""),
            "blocks": args.get("blocks", []),
        }
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        self.messages[channel].append(message)
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _chat_postEphemeral(self, team: Team, args: dict[str, Any]) -> dict[str, Any]:
        channel, problem = self._resolve_channel(args.get("channel", ""))
        if problem:
            return problem
        if args.get("user") not in self.users:
            return _error("user_not_found")
        if args.get("user") in self.channels.get(channel, {}).get("outsiders", ()):
            return _error("user_not_in_channel")
        problem = self._message_problems(args)
        if problem:
            return problem
        ts = f"{int(self._clock())}.{next(self._ts):06d}"
        self.private.append((args["user"], channel, args))
        self.ephemerals.append(
            {
                "channel": channel,
                "user": args["user"],
                "ts": ts,
                "text": args.get("text", ""),
                "blocks": args.get("blocks", []),
            }
        )
        return {"ok": True, "message_ts": ts}

    def _chat_update(self, team: Team, args: dict[str, Any]) -> dict[str, Any]:
        channel = args.get("channel", "")
        if channel not in self.channels:
            return _error("channel_not_found")
        for message in self.messages[channel]:
            if message["ts"] == args.get("ts"):
                break
        else:
            return _error("message_not_found")
        if message.get("user") != team.bot_user:
            return _error("cant_update_message")
        problem = self._message_problems(args)
        if problem:
            return problem
        message["text"] = args.get("text", "")
        message["blocks"] = args.get("blocks", [])
        message["edited"] = {"user": team.bot_user}
        return {"ok": True, "channel": channel, "ts": message["ts"], "text": message["text"]}

    def _chat_delete(self, team: Team, args: dict[str, Any]) -> dict[str, Any]:
        channel = args.get("channel", "")
        kept = [m for m in self.messages.get(channel, []) if m["ts"] != args.get("ts")]
        if channel not in self.channels or len(kept) == len(self.messages[channel]):
            return _error("message_not_found")
        self.messages[channel] = kept
        return {"ok": True, "channel": channel, "ts": args["ts"]}

    # ---- files (the v2 upload: get a URL, POST the bytes there, complete into a channel) ------------------

    def _files_getUploadURLExternal(self, team: Team, args: dict[str, Any]) -> dict[str, Any]:
        filename, length = args.get("filename"), str(args.get("length", ""))
        if not filename or not length.isdigit() or int(length) <= 0:
            return _error("invalid_arguments")
        file_id = f"F{next(self._ids):08d}"
        self.files[file_id] = {"team": team.id, "filename": filename, "length": int(length), "data": None}
        return {
            "ok": True,
            "upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}",
            "file_id": file_id,
        }

    async def _upload(self, request: web.Request) -> web.Response:
        entry = self.files.get(request.match_info["file_id"])
        data = await request.read()
        if entry is None or entry["data"] is not None:
            return web.Response(status=404, text="unknown upload")
        if len(data) != entry["length"]:  # Slack checks the bytes against the length it was promised
            return web.Response(status=400, text="length mismatch")
        entry["data"] = data
        return web.Response(text=f"OK - {len(data)}")

    def _files_completeUploadExternal(self, team: Team, args: dict[str, Any]) -> dict[str, Any]:
        files = args.get("files")
        if isinstance(files, str):
            files = json.loads(files)
        if not files:
            return _error("invalid_arguments")
        for f in files:
            entry = self.files.get(f.get("id", ""))
            if entry is None or entry["team"] != team.id or entry["data"] is None:
                return _error("file_not_found")
        channel = args.get("channel_id")
        if channel:
            resolved, _ = self._resolve_channel(channel)
            if resolved is None:
                return _error("channel_not_found")
        shared = [{**self.files[f["id"]], "id": f["id"], "title": f.get("title")} for f in files]
        self.uploads.append(
            {"channel": channel, "initial_comment": args.get("initial_comment"), "files": shared}
        )
        return {"ok": True, "files": [{"id": f["id"], "title": f["title"]} for f in shared]}

    def _conversations_join(self, team: Team, args: dict[str, Any]) -> dict[str, Any]:
        channel = self.channels.get(args.get("channel", ""))
        if channel is None:
            return _error("channel_not_found")
        if channel.get("is_private"):
            return _error("method_not_supported_for_channel_type")
        channel["bot_member"] = True
        return {"ok": True, "channel": {"id": channel["id"]}}

    def _views_open(self, team: Team, args: dict[str, Any]) -> dict[str, Any]:
        trigger = args.get("trigger_id", "")
        if trigger in self._spent_triggers:  # Slack: "trigger_id has already been exchanged"
            return _error("exchanged_trigger_id")
        issued = self._triggers.pop(trigger, None)
        if issued is None:
            return _error("invalid_trigger_id")
        self._spent_triggers.add(trigger)
        self.trigger_ages.append(self._clock() - issued)
        if self._clock() - issued > 3:
            return _error("expired_trigger_id")
        errors = view_errors(args.get("view"))
        if errors:
            return {**_error("invalid_arguments"), "response_metadata": {"messages": errors}}
        view = {
            **args["view"],
            "id": f"V{next(self._ids):08d}",
            "team_id": team.id,
            "hash": "1.abc",
            "trigger_id": trigger,
        }
        self.views.append(view)
        return {"ok": True, "view": view}

    # ---- response_url --------------------------------------------------------------------------------------

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        user, channel = self._response_users.get(request.match_info["n"], (None, None))
        self.responses.append({**body, "_user": user, "_channel": channel})
        self.private.append((user, channel, body))
        errors = block_errors(body["blocks"], limit=MESSAGE_BLOCKS) if "blocks" in body else []
        if errors:
            return web.Response(status=400, text="invalid_blocks")
        return web.Response(text="ok")

    async def _stats(self, request: web.Request) -> web.Response:
        """Counts for a process that drives this fake from outside (bench/slack_ack.py)."""
        counts: dict[str, int] = defaultdict(int)
        for call in self.calls:
            counts[call.method] += 1
        return web.json_response({"responses": len(self.responses), "calls": counts})

    # ---- Socket Mode ---------------------------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self._sockets),
                "debug_info": {"host": "fake-slack", "approximate_connection_time": 3600},
                "connection_info": {"app_id": "A0001"},
            }
        )
        self._socket_connected.set()
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                data = json.loads(msg.data)
                future = self._socket_acks.pop(data.get("envelope_id", ""), None)
                if future is not None and not future.done():
                    future.set_result(data)
        finally:
            self._sockets.remove(ws)
        return ws

    async def socket_connected(self) -> None:
        await self._socket_connected.wait()

    async def socket_send(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Deliver an envelope over the open Socket Mode connection and wait for the app's ack."""
        envelope_id = f"env-{next(self._ids)}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._socket_acks[envelope_id] = future
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": 0,
            "retry_reason": "",
        }
        await self._sockets[-1].send_json(envelope)
        return await future


def _error(code: str) -> dict[str, Any]:
    return {"ok": False, "error": code}


def message_text(message: dict[str, Any]) -> str:
    """The words of a message as its reader sees them: block texts in order, else the fallback text."""
    parts: list[str] = []
    for block in message.get("blocks") or []:
        if block.get("text"):
            parts.append(block["text"]["text"])
        for f in block.get("fields") or []:
            parts.append(f["text"])
        for element in block.get("elements") or []:
            if element.get("type") == "button":
                parts.append(f"[{element['text']['text']}]")
            elif "text" in element and isinstance(element["text"], str):
                parts.append(element["text"])
    return "\n".join(parts) if parts else message.get("text", "")
