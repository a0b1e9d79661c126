"""indexes that keep commands flat as history grows: timers by key prefix, members by display name

Revision ID: 0007_loop_indexes
Revises: 0006_member_tz_hint
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_loop_indexes"
down_revision: str | Sequence[str] | None = "0006_member_tz_hint"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The key in byte order on PostgreSQL, as Ctx.cancel_timers compares it: a database collation such as
    # en_US sorts punctuation loosely, and a prefix would not be one range of it.
    op.create_index(
        "ix_timer_tenant_status_key",
        "timer",
        ["tenant_id", "status", "key"],
        postgresql_ops={"key": 'COLLATE "C"'},
    )
    op.create_index("ix_member_tenant_display_name", "member", ["tenant_id", "display_name"])


def downgrade() -> None:
    op.drop_index("ix_member_tenant_display_name", table_name="member")
    op.drop_index("ix_timer_tenant_status_key", table_name="timer")
