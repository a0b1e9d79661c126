"""Imports every module that defines tables, so SQLModel.metadata (and Alembic) sees them all."""

from bot.rituals.barriers import models as barrier_models  # noqa: F401
from bot.rituals.nudges import models as nudges  # noqa: F401
from bot.rituals.oneonone import models as oneonone  # noqa: F401
from bot.rituals.pairing import models as pairing_models  # noqa: F401
from bot.steps import models as steps  # noqa: F401
from bot.store import history, models  # noqa: F401
