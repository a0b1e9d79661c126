"""timed talk in small groups: a talk and its groups (each group a step run of ritual "talk")

Revision ID: 0008_talk
Revises: the four 0007 heads
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_talk"
down_revision: str | Sequence[str] | None = (
    "0007_fakes_message_ref_parts",
    "0007_logs_coarse_requests",
    "0007_loop_indexes",
    "0007_report_history",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "talk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=120), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=120), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("talk", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_talk_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_talk_event_id"), ["event_id"], unique=False)
        batch_op.create_index(
            "uq_talk_open_event",
            ["event_id"],
            unique=True,
            sqlite_where=sa.text("status IN ('starting', 'running')"),
            postgresql_where=sa.text("status IN ('starting', 'running')"),
        )
    op.create_table(
        "talk_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("talk_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["talk_id"], ["talk.id"]),
        sa.ForeignKeyConstraint(["run_id"], ["step_run.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id"),
    )
    with op.batch_alter_table("talk_group", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_talk_group_talk_id"), ["talk_id"], unique=False)


def downgrade() -> None:
    op.drop_table("talk_group")
    op.drop_table("talk")
