"""connection stage history: one row each time a connection's stage moves (the day, not the time)

Connections already past Link get one row: their present stage, on the day it last moved.

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
    # Connections that had moved before the history existed: their present stage, from the day it moved.
    day = (
        "date(stage_changed_at)"
        if op.get_bind().dialect.name == "sqlite"
        else "CAST(stage_changed_at AS DATE)"
    )
    op.execute(
        "INSERT INTO connection_stage_change (tenant_id, connection_id, event_id, stage, day) "
        f"SELECT tenant_id, id, event_id, stage, {day} FROM connection WHERE stage != 'link'"
    )


def downgrade() -> None:
    op.drop_table("connection_stage_change")
