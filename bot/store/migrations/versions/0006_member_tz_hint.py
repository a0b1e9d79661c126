"""member time zone hint: the zone the platform reports (Slack's users.info), used when none was set

Also the point where the rituals' branches meet: from here on the history has one head.

Revision ID: 0006_member_tz_hint
Revises: 0002_pairing, 0002_turns, 0003_barriers, 0004_nudges, 0005_voice_mutes
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_member_tz_hint"
down_revision: str | Sequence[str] | None = (
    "0002_pairing",
    "0002_turns",
    "0003_barriers",
    "0004_nudges",
    "0005_voice_mutes",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("member", sa.Column("tz_hint", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("member") as batch:
        batch.drop_column("tz_hint")
