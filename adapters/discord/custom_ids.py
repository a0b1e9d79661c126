"""Discord custom_ids for the core's action and form ids, with the guild carried along where Discord drops it.

A button or modal in a DM arrives without a guild, yet the core needs the tenant (`discord:<guild>`).
So ids rendered outside a guild are written `g<guild_id>|<core id>`; inside a guild the core id is used
as it is. Either way the id is stable, so a button posted before a restart means the same after it.
"""

from __future__ import annotations

import re

MAX_CUSTOM_ID = 100

# A core id is `ritual:verb:record[:more]`; this is also the DynamicItem template for every core button.
PATTERN = r"(?:g(?P<guild>\d{1,20})\|)?(?P<core>[a-z][a-z0-9_-]*:[^\s]+)"
_COMPILED = re.compile(PATTERN)


def wrap(core_id: str, guild_id: int | str | None = None) -> str:
    """The custom_id for `core_id`; the guild is added only when given and it still fits in 100."""
    if len(core_id) > MAX_CUSTOM_ID:
        raise ValueError(f"core id longer than {MAX_CUSTOM_ID} characters: {core_id[:40]}…")
    if guild_id is None:
        return core_id
    wrapped = f"g{guild_id}|{core_id}"
    return wrapped if len(wrapped) <= MAX_CUSTOM_ID else core_id


def unwrap(custom_id: str) -> tuple[str | None, str]:
    """(guild id or None, core id) of a custom_id made by `wrap`."""
    match = _COMPILED.fullmatch(custom_id)
    if match is None:
        return None, custom_id
    return match["guild"], match["core"]
