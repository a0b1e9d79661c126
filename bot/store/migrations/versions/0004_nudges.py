"""nudges: one durable row per (member, event, step), and what people did with each nudge

Revision ID: 0004_nudges
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_nudges"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "nudge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=120), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=20), nullable=False),
        sa.Column("plan", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("deliveries", sa.Integer(), nullable=False),
        sa.Column("snoozes", sa.Integer(), nullable=False),
        sa.Column("timer_id", sa.Integer(), nullable=True),
        sa.Column("wake", sa.Integer(), nullable=False),
        sa.Column("claim_token", sa.String(length=40), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("member_id", "event_id", "step", name="uq_nudge_member_event_step"),
    )
    with op.batch_alter_table("nudge", schema=None) as batch_op:
        batch_op.create_index("ix_nudge_status_due", ["status", "due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_nudge_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_nudge_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_nudge_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_nudge_claim_token"), ["claim_token"], unique=False)

    op.create_table(
        "nudge_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=120), nullable=False),
        sa.Column("nudge_id", sa.Integer(), nullable=False),
        sa.Column("other_id", sa.Integer(), nullable=False),
        sa.Column("verb", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.ForeignKeyConstraint(["nudge_id"], ["nudge.id"]),
        sa.ForeignKeyConstraint(["other_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("nudge_id", "other_id", "verb", name="uq_nudge_action"),
    )
    with op.batch_alter_table("nudge_action", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nudge_action_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_nudge_action_nudge_id"), ["nudge_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_nudge_action_other_id"), ["other_id"], unique=False)


def downgrade() -> None:
    op.drop_table("nudge_action")
    op.drop_table("nudge")
