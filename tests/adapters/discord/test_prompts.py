"""The Discord words exist in English and Japanese, with the same keys, and fit Discord's limits."""

from __future__ import annotations

from pathlib import Path

import yaml

from adapters.discord.surface import SURFACE

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


def test_english_and_japanese_have_the_same_keys():
    assert words("en").keys() == words("ja").keys()


def test_every_subcommand_group_and_option_has_a_description_of_at_most_100_characters():
    needed = {"command.tsunagari"}
    for sub in SURFACE:
        needed.add(f"command.{sub.key}")
        if len(sub.path) == 2:
            needed.add(f"group.{sub.path[0]}")
        needed |= {f"option.{o.name}" for o in sub.options}
    for lang in ("en", "ja"):
        found = words(lang)
        assert needed <= found.keys(), needed - found.keys()
        too_long = [k for k in needed if len(found[k]) > 100]
        assert not too_long


def test_japanese_is_japanese():
    ja = words("ja")
    assert all(any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in v) for v in ja.values())
