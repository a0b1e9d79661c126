"""What each nudge says, in the reader's language, and its buttons (ids carry plain record ids only)."""

from __future__ import annotations

from bot.actions import Button, Field, Message
from bot.i18n import Catalog
from bot.ledger import STAGES
from bot.markup import bold, mention, user_text
from bot.rituals.nudges.meetings import MAX_PEOPLE
from bot.rituals.nudges.models import Nudge
from bot.store.models import Connection, Event, Member


def name_of(member: Member) -> str:
    """For button labels, which cannot carry a mention."""
    return user_text((member.display_name or member.user_id)[:30])


def people_list(catalog: Catalog, lang: str, others: list[Member]) -> str:
    return catalog.people(lang, [mention(m.user_id) for m in others])


def stage_label(catalog: Catalog, lang: str, stage: str) -> str:
    return catalog.text(lang, f"connections.stage.{stage}")


def consent_buttons(catalog: Catalog, lang: str, nudge: Nudge) -> tuple[Button, ...]:
    return (
        Button(catalog.text(lang, "nudges.snooze"), f"nudges:snooze:{nudge.id}"),
        Button(catalog.text(lang, "nudges.stop"), f"nudges:stop:{nudge.id}", "danger"),
    )


def nudge_message(
    catalog: Catalog,
    lang: str,
    nudge: Nudge,
    event: Event,
    met: list[tuple[Connection, Member]],
    *,
    days_ago: int = 0,
) -> Message:
    met = met[:MAX_PEOPLE]
    others = [member for _, member in met]
    people = people_list(catalog, lang, others)
    name = bold(user_text(event.name))
    if nudge.step == "thanks":
        key = {0: "nudges.thanks.text", 1: "nudges.thanks.text_yesterday"}.get(
            days_ago, "nudges.thanks.text_earlier"
        )
        text = catalog.text(lang, key, people=people, event=name)
        buttons = [
            Button(
                catalog.text(lang, "nudges.thanks.button", name=name_of(m)),
                f"nudges:thank:{nudge.id}:{m.id}",
                "primary",
            )
            for m in others
        ]
        return Message(text, buttons=(*buttons, *consent_buttons(catalog, lang, nudge)))
    if nudge.step == "warm":
        # Keep talking: a private yes per person, shown to them only if they say yes too.
        text = catalog.text(lang, "nudges.keep.text", people=people, event=name)
        buttons = [
            Button(
                catalog.text(lang, "nudges.keep.button", name=name_of(m)),
                f"nudges:keep:{nudge.id}:{m.id}",
                "primary",
            )
            for m in others
        ]
        return Message(text, buttons=(*buttons, *consent_buttons(catalog, lang, nudge)))
    # The stage check: each connection with its stage now, and the four stages as buttons for each.
    text = catalog.text(lang, "nudges.stage.text", event=name)
    fields = tuple(
        Field(mention(m.user_id), stage_label(catalog, lang, connection.stage)) for connection, m in met
    )
    buttons = []
    for connection, m in met:
        for stage in STAGES:
            label = stage_label(catalog, lang, stage)
            if len(met) > 1:
                label = catalog.text(lang, "nudges.stage.button", name=name_of(m), stage=label)
            buttons.append(Button(label, f"connections:set:{connection.id}:{stage}"))
    return Message(text, fields=fields, buttons=(*buttons, *consent_buttons(catalog, lang, nudge)))
