"""voice mutes: whom an adapter server-muted for a round, so it unmutes exactly them

Revision ID: 0005_voice_mutes
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_voice_mutes"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "voice_mute",
        sa.Column("tenant_id", sa.String(length=120), nullable=False),
        sa.Column("round_ref", sa.String(length=120), nullable=False),
        sa.Column("user_id", sa.String(length=120), nullable=False),
        sa.Column("guild", sa.String(length=120), nullable=False),
        sa.Column("channel", sa.String(length=120), nullable=False),
        sa.Column("muted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "round_ref", "user_id"),
    )


def downgrade() -> None:
    op.drop_table("voice_mute")
