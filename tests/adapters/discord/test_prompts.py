"""The Discord words exist in English and Japanese with the same keys, and the synced command group
carries both languages within Discord's 100-character descriptions."""

from __future__ import annotations

from pathlib import Path

import discord
import yaml
from discord.ext import commands

from adapters.discord.commands import CatalogTranslator, build_group
from adapters.discord.surface import surface
from bot.i18n import Catalog, placeholders
from tests.adapters.discord.test_translate import SPECS

PROMPTS = Path(__file__).resolve().parents[3] / "prompts"


def flat(tree: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out |= flat(value, f"{prefix}{key}.")
        else:
            out[f"{prefix}{key}"] = value
    return out


def words(lang: str) -> dict[str, str]:
    return flat(yaml.safe_load((PROMPTS / lang / "discord.yaml").read_text(encoding="utf-8")))


def test_english_and_japanese_have_the_same_keys_and_placeholders():
    en, ja = words("en"), words("ja")
    assert en.keys() == ja.keys()
    for key in en:
        assert placeholders(en[key]) == placeholders(ja[key]), key


def test_japanese_is_japanese():
    for key, value in words("ja").items():
        assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in value), key


async def noop(interaction: discord.Interaction) -> None:
    return None


def walk(node: dict):
    yield node
    for child in node.get("options", []):
        yield from walk(child)


async def test_synced_payload_has_english_and_japanese_descriptions_within_limits():
    catalog = Catalog.load()
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.none())
    group = build_group(catalog, noop, surface(SPECS))
    bot.tree.add_command(group)
    payload = await group.get_translated_payload(bot.tree, CatalogTranslator(catalog))
    nodes = list(walk(payload))
    assert len(nodes) > 30
    for node in nodes:
        if "choices" in node and "description" not in node:
            continue
        assert 1 <= len(node["description"]) <= 100, node["name"]
        japanese = node["description_localizations"]["ja"]
        assert 1 <= len(japanese) <= 100
    by_name = {n["name"]: n for n in nodes}
    assert by_name["join"]["description_localizations"]["ja"].startswith("イベントに参加")
    assert by_name["start"]["description"]  # `turns start` and `event start` both described


async def test_an_option_without_discord_words_still_gets_both_languages():
    from bot.commands import Arg, CommandSpec

    catalog = Catalog.load()
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.none())
    group = build_group(catalog, noop, surface([CommandSpec("wave", args=(Arg("colour", "word"),))]))
    bot.tree.add_command(group)
    payload = await group.get_translated_payload(bot.tree, CatalogTranslator(catalog))
    [wave] = payload["options"]
    [colour] = wave["options"]
    assert colour["description"].startswith("colour")
    assert colour["description_localizations"]["ja"].startswith("colour（")


async def test_the_oneonone_action_option_describes_an_action_not_a_barrier():
    """`oneonone action text:` shares its option name with `barriers share text:`; its description is its own."""
    catalog = Catalog.load()
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.none())
    group = build_group(catalog, noop, surface(SPECS))
    bot.tree.add_command(group)
    payload = await group.get_translated_payload(bot.tree, CatalogTranslator(catalog))
    [oneonone] = [n for n in payload["options"] if n["name"] == "oneonone"]
    [action] = [n for n in oneonone["options"] if n["name"] == "action"]
    [text] = action["options"]
    assert text["description"] == "Your action, e.g. call Emi next week"
    assert "壁" not in text["description_localizations"]["ja"]
    assert "アクション" in text["description_localizations"]["ja"]
    [barriers] = [n for n in payload["options"] if n["name"] == "barriers"]
    [share] = [n for n in barriers["options"] if n["name"] == "share"]
    assert next(o for o in share["options"] if o["name"] == "text")["description"].startswith("Your barrier")
