"""message_ref.message_id holds every part of a message sent in several parts: text, not 120 characters

A Discord barrier reveal can span 14 messages of 19-digit ids; Slack's parts were cut off after ~7.

Revision ID: 0007_fakes_message_ref_parts
Revises: 0006_member_tz_hint
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_fakes_message_ref_parts"
down_revision: str | Sequence[str] | None = "0006_member_tz_hint"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("message_ref") as batch:
        batch.alter_column("message_id", existing_type=sa.String(length=120), type_=sa.Text())


def downgrade() -> None:
    with op.batch_alter_table("message_ref") as batch:
        batch.alter_column("message_id", existing_type=sa.Text(), type_=sa.String(length=120))
