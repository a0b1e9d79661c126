"""Imports every module that defines tables, so SQLModel.metadata (and Alembic) sees them all."""

from bot.store import models  # noqa: F401
