"""run sheets: at most one live agenda run in a channel

A run sheet is a step run of ritual "agenda" (its sheet is copied into the run's options), so it needs no
table of its own; two facilitators starting a sheet at once must not both succeed.

Revision ID: 0008_agenda
Revises: the four 0007 heads
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_agenda"
down_revision: str | Sequence[str] | None = (
    "0007_fakes_message_ref_parts",
    "0007_logs_coarse_requests",
    "0007_loop_indexes",
    "0007_report_history",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE_AGENDA = "ritual = 'agenda' AND status IN ('running', 'paused')"


def upgrade() -> None:
    op.create_index(
        "uq_step_run_live_agenda",
        "step_run",
        ["tenant_id", "channel_id"],
        unique=True,
        sqlite_where=sa.text(LIVE_AGENDA),
        postgresql_where=sa.text(LIVE_AGENDA),
    )


def downgrade() -> None:
    op.drop_index("uq_step_run_live_agenda", table_name="step_run")
