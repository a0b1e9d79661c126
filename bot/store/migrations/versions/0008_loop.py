"""indexes for the look-ups every command (or the event's end) makes, so they stay flat as history grows

The open event of a channel and the live round of turns of a channel were found through partial unique
indexes whose condition (`status = 'open'`, ...) a query with bound parameters cannot use (SQLite never,
PostgreSQL not in a generic prepared plan): each command then read every event, or every round of turns,
the workspace ever had. The meetings of an event's end (`event_id` or `last_met_at` in its window) read
every connection of the workspace; a person's latest participation sorted all of theirs.

Revision ID: 0008_loop
Revises: the four 0007 heads
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_loop"
down_revision: str | Sequence[str] | None = (
    "0007_fakes_message_ref_parts",
    "0007_logs_coarse_requests",
    "0007_loop_indexes",
    "0007_report_history",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_event_tenant_channel", "event", ["tenant_id", "channel_id"]),
    ("ix_step_run_tenant_channel", "step_run", ["tenant_id", "channel_id"]),
    ("ix_connection_tenant_event", "connection", ["tenant_id", "event_id"]),
    ("ix_connection_tenant_last_met", "connection", ["tenant_id", "last_met_at"]),
    ("ix_participant_member_joined", "participant", ["member_id", "joined_at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
