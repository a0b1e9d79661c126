"""handover offers: `handover @user` waits for the receiver to accept

Revision ID: 0008_room
Revises: 0007_fakes_message_ref_parts, 0007_logs_coarse_requests, 0007_loop_indexes, 0007_report_history
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_room"
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
        "handover_offer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=120), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("giver_id", sa.Integer(), nullable=False),
        sa.Column("receiver_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"]),
        sa.ForeignKeyConstraint(["giver_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["receiver_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_handover_offer_tenant_id", "handover_offer", ["tenant_id"])
    op.create_index("ix_handover_offer_event_id", "handover_offer", ["event_id"])
    op.create_index("ix_handover_offer_giver_id", "handover_offer", ["giver_id"])
    op.create_index("ix_handover_offer_receiver_id", "handover_offer", ["receiver_id"])
    op.create_index(
        "uq_handover_offer_open",
        "handover_offer",
        ["event_id"],
        unique=True,
        sqlite_where=sa.text("status = 'offered'"),
        postgresql_where=sa.text("status = 'offered'"),
    )


def downgrade() -> None:
    op.drop_index("uq_handover_offer_open", table_name="handover_offer")
    for column in ("receiver_id", "giver_id", "event_id", "tenant_id"):
        op.drop_index(f"ix_handover_offer_{column}", table_name="handover_offer")
    op.drop_table("handover_offer")
