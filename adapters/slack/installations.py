"""Slack OAuth installations kept without the person who installed them.

slack_sdk's SQLAlchemy store records the installer's user id (and a user token, when user scopes are
granted) beside the bot token. Tsunagari needs only the bot token, and `forget-me` promises that nothing
names a person afterwards, so the installer is never written: the row keeps the workspace, the bot and
its token, and a placeholder where the installer's id would be (the column may not be empty). Rows
written before this was so are scrubbed the same way when the adapter starts.
"""

from __future__ import annotations

import copy
import logging

import sqlalchemy
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore

log = logging.getLogger(__name__)

# Stands where slack_sdk wants the installer's user id (NOT NULL). No Slack user id looks like this, so
# bolt never mistakes a person for the installer and never looks for a user token.
NO_INSTALLER = "-"
PERSONAL = {
    "user_id": NO_INSTALLER,
    "user_token": None,
    "user_scopes": None,
    "user_refresh_token": None,
    "user_token_expires_at": None,
}


def without_installer(installation: Installation) -> Installation:
    kept = copy.copy(installation)
    for name, value in PERSONAL.items():
        setattr(kept, name, value)
    return kept


class InstallationsWithoutInstaller(AsyncSQLAlchemyInstallationStore):
    """The installation store bolt uses for OAuth, minus the installer's id and user token."""

    async def async_save(self, installation: Installation) -> None:
        await super().async_save(without_installer(installation))

    async def scrub(self) -> int:
        """Blank the installer in rows saved before this store was used; returns how many changed."""
        table = self.installations
        async with self.engine.begin() as connection:
            result = await connection.execute(
                sqlalchemy.update(table)
                .where(
                    sqlalchemy.or_(
                        table.c.user_id != NO_INSTALLER,
                        table.c.user_token.is_not(None),
                        table.c.user_refresh_token.is_not(None),
                    )
                )
                .values(**PERSONAL)
            )
        if result.rowcount:
            log.info("Slack: removed the installer's id from %d stored installations", result.rowcount)
        return result.rowcount
