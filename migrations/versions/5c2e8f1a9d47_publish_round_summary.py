"""publish: pilot rounds keep the summary frozen when they close

Revision ID: 5c2e8f1a9d47
Revises: 5e0c7a91d2b4
Create Date: 2026-11-29 11:00:00

Reviewed by hand: two nullable columns on pilot_rounds (when it closed, and the summary computed then as JSON).
Batch mode so that SQLite can alter the table too.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5c2e8f1a9d47'
down_revision = '5e0c7a91d2b4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('pilot_rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('summary', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('pilot_rounds', schema=None) as batch_op:
        batch_op.drop_column('summary')
        batch_op.drop_column('closed_at')
