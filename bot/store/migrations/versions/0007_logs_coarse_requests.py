"""processed_request keeps a keyed digest and the hour, not the platform's id and the second

Rows written before hold raw ids (a Discord id carries its millisecond) and exact times: they are the
very thing to drop, and a request in flight during the upgrade is the only one that loses its guard.
A barrier board's refresh timers were stamped with the second of the change that armed them: they are
moved back to the board's one-minute grid point before they fell due.

Revision ID: 0007_logs_coarse_requests
Revises: 0006_member_tz_hint
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_logs_coarse_requests"
down_revision: str | Sequence[str] | None = "0006_member_tz_hint"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM processed_request")
    # due_at is on the grid; the grid point before it is where the change's minute began.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "UPDATE timer SET created_at = datetime(due_at, '-1 minute') WHERE kind = 'barriers.refresh'"
        )
    else:
        op.execute(
            "UPDATE timer SET created_at = due_at - interval '1 minute' WHERE kind = 'barriers.refresh'"
        )


def downgrade() -> None:
    pass  # what was dropped cannot come back, and the coarse rows are valid in the old schema too
