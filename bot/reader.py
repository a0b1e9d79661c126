"""A reader's language and time zone, decided in one place for every reply, DM, form and nudge.

Language: what they chose (`lang`), else what their platform reports (Slack's user locale, Discord's
interaction locale), else the one language we speak in their profile (`join --languages ja`), else the
event's first language, else the bot's default. Zone: what they chose (`tz`), else their platform's, else
the event's. After an event has ended, or in a DM, "the event" is the last one they took part in, so a
person who spent the evening in Japanese is still answered in Japanese the next morning.
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import LANGUAGES, languages_in, normalise_locale
from bot.store.models import Event, Member, Participant

log = logging.getLogger(__name__)

# The zone an event takes, when nobody named one, from the language it runs in.
LANGUAGE_ZONES = {"ja": "Asia/Tokyo"}


def event_languages(event: Event | None) -> tuple[str, ...]:
    """An event's languages in the order given (`--lang ja,en`); the first is its main language."""
    return languages_in(event.lang) if event is not None else ()


def main_language(event: Event | None) -> str | None:
    languages = event_languages(event)
    return languages[0] if languages else None


def profile_language(languages: str | None) -> str | None:
    """The one language we speak among a profile's languages; None when there are none or several."""
    if not languages:
        return None
    ours = {normalise_locale(part.strip()) for part in languages.split(",")} & set(LANGUAGES)
    return ours.pop() if len(ours) == 1 else None


def language_of(
    member: Member | None, *, profile: str | None = None, event: Event | None = None, default: str = "en"
) -> str:
    """The language `member` reads. `profile` is their profile's languages ("ja" or "ja,en")."""
    if member is not None:
        chosen = normalise_locale(member.locale) or normalise_locale(member.locale_hint)
        if chosen:
            return chosen
    return profile_language(profile) or main_language(event) or normalise_locale(default) or "en"


def zone_name_of(member: Member | None, event: Event | None = None, default: str = "UTC") -> str:
    """The IANA zone `member` lives in: their own, their platform's, the event's, else `default`."""
    names = (member.tz, member.tz_hint) if member is not None else ()
    for name in (*names, event.tz if event else None, default):
        if name:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
            return name
    return "UTC"


def event_zone(*, given: str | None, setting: str | None, languages: tuple[str, ...]) -> str:
    """An event's zone: `--tz`, else TSUNAGARI_DEFAULT_TZ, else the zone of its language, else UTC."""
    if given:
        return given
    if setting:
        return setting
    for lang in languages[:1]:
        if lang in LANGUAGE_ZONES:
            return LANGUAGE_ZONES[lang]
    return "UTC"


async def last_participation(
    session: AsyncSession, member: Member, event: Event | None = None
) -> tuple[str | None, Event | None]:
    """(profile languages, event) of `member` in `event`, else in the last event they joined."""
    query = (
        select(Participant.languages, Event)
        .join(Event, Event.id == Participant.event_id)
        .where(Participant.member_id == member.id)
    )
    if event is not None:
        query = query.where(Participant.event_id == event.id)
    else:
        query = query.order_by(col(Participant.joined_at).desc(), col(Participant.id).desc())
    row = (await session.exec(query.limit(1))).first()
    if row is None:
        return None, event
    return row[0], row[1]


async def reader_language(
    session: AsyncSession, member: Member | None, event: Event | None, default: str
) -> str:
    """`language_of`, looking up the profile (and, outside an event, their last event) only when needed."""
    if member is None:
        return language_of(None, event=event, default=default)
    if normalise_locale(member.locale) or normalise_locale(member.locale_hint) or member.id is None:
        return language_of(member, event=event, default=default)
    profile, found = await last_participation(session, member, event)
    return language_of(member, profile=profile, event=event or found, default=default)
