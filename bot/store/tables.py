"""Imports every module that defines tables, so SQLModel.metadata (and Alembic) sees them all.

The Discord adapter's own table (voice mutes) is registered too, whether or not Discord is configured:
one schema for every deployment, so a database moves between them unchanged. Importing it loads no
discord.py.
"""

from adapters.discord import mutes as discord_mutes  # noqa: F401
from bot.rituals.barriers import models as barrier_models  # noqa: F401
from bot.rituals.nudges import models as nudges  # noqa: F401
from bot.rituals.oneonone import models as oneonone  # noqa: F401
from bot.rituals.pairing import models as pairing_models  # noqa: F401
from bot.rituals.talk import models as talk_models  # noqa: F401
from bot.steps import models as steps  # noqa: F401
from bot.store import history, models  # noqa: F401
