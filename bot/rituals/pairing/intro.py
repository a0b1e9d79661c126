"""The words of a round: the introduction each group receives, and the lines a facilitator sees.

Everything a person reads comes from prompts/<lang>/pairs.yaml; this module only chooses and joins.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bot.actions import Message
from bot.markup import mention, user_text
from bot.rituals.pairing.matcher import Group

NAMED_LANGUAGES = ("en", "ja")

Words = Callable[..., Any]
"""`words(key, **params)` in the reader's language: ctx.t_in bound to a locale, or catalog.raw for lists."""


def listing(words: Words, items: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c" in English; joined with ・ in Japanese."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    head = words("pairs.list.separator").join(items[:-1])
    return words("pairs.list.pair", first=head, second=items[-1])


def language_name(words: Words, code: str) -> str:
    """ "English" for en; a code without a name in prompts/*/pairs.yaml is shown as typed."""
    return words(f"pairs.language.{code}") if code in NAMED_LANGUAGES else code


def bridges_phrase(words: Words, group: Group) -> str:
    """ "organisations and generations": what the caller writes after "different"."""
    return listing(words, [words(f"pairs.attribute.{name}") for name in group.bridged])


def members_phrase(words: Words, users: Mapping[str, str], group: Group) -> str:
    """ "@a and @b"; 「@a さん、@b」 (the sentence adds the last さん): as Catalog.people joins names."""
    names = [mention(users[key]) for key in group.keys]
    if len(names) <= 1:
        return "".join(names)
    head = words("core.list.people_comma").join(names[:-1])
    return words("core.list.people_and", first=head, last=names[-1])


def summary(words: Words, groups: Sequence[Group]) -> str:
    sizes = sorted(len(g.keys) for g in groups)
    key = "pairs.summary_trio" if sizes[-1:] == [3] and sizes[:1] == [2] else "pairs.summary"
    return words(key, people=sum(sizes), groups=len(groups))


def languages_phrase(words: Words, group: Group) -> str:
    """ "English and Japanese": the languages everyone in `group` stated."""
    return listing(words, [language_name(words, code) for code in group.common_languages])


def group_lines(
    words: Words, users: Mapping[str, str], groups: Sequence[Group], *, languages: bool = False
) -> str:
    """One line per group for the channel or a preview: who, and what bridges them; with `languages`
    (a room of several languages), which language they share too."""
    lines = []
    for group in groups:
        members = members_phrase(words, users, group)
        if group.bridged:
            line = words("pairs.group_line", members=members, bridges=bridges_phrase(words, group))
        else:
            line = words("pairs.group_line_plain", members=members)
        if languages and not group.shares_language:
            line = words("pairs.group_line_no_language", line=line)
        elif languages and group.common_languages:
            line = words("pairs.group_line_languages", line=line, languages=languages_phrase(words, group))
        lines.append("• " + line)
    return "\n".join(lines)


def introduction(
    words: Words,
    prompts: Sequence[str],
    *,
    group: Group,
    users: Mapping[str, str],
    profiles: Mapping[str, str],
    number: int,
    event_name: str,
    prompt_index: int,
) -> Message:
    """The message a group gets: who they are, what bridges them, a shared interest, a prompt."""
    lines = [words("pairs.intro.hello", members=members_phrase(words, users, group))]
    for key in group.keys:
        if profiles.get(key):
            lines.append(
                "• "
                + words("pairs.intro.member", member=mention(users[key]), profile=user_text(profiles[key]))
            )
    if group.bridged:
        lines.append(words("pairs.intro.bridges", attributes=bridges_phrase(words, group)))
    if group.shared_interests:
        lines.append(
            words(
                "pairs.intro.interests",
                interests=listing(words, [user_text(i) for i in group.shared_interests[:3]]),
            )
        )
    if not group.shares_language:
        lines.append(words("pairs.intro.no_language"))
    elif group.common_languages:
        lines.append(words("pairs.intro.languages", languages=languages_phrase(words, group)))
    if group.repeats:
        lines.append(words("pairs.intro.met_before"))
    lines.append(words("pairs.intro.prompt_intro"))
    if prompts:
        lines.append("**" + prompts[prompt_index % len(prompts)] + "**")
    return Message("\n".join(lines), title=words("pairs.intro.title", number=number, name=event_name))
