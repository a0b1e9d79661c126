"""connection stage history: one row each time a connection's stage moves (the day, not the time)

Revision ID: 0007_report_history
Revises: 0006_member_tz_hint
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_report_history"
down_revision: str | Sequence[str] | None = "0006_member_tz_hint"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "connection_stage_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=120), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.ForeignKeyConstraint(["connection_id"], ["connection.id"]),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("connection_stage_change", schema=None) as batch_op:
        batch_op.create_index("ix_connection_stage_change_event", ["event_id", "day"], unique=False)
        batch_op.create_index(batch_op.f("ix_connection_stage_change_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_connection_stage_change_connection_id"), ["connection_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("connection_stage_change")
