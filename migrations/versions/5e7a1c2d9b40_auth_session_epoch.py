"""users.session_epoch: ending every session of a person at once

Revision ID: 5e7a1c2d9b40
Revises: 373258fbed19
Create Date: 2026-11-29 11:10:00

Written by hand: one integer column, 0 for every existing user. Sessions stored before this revision name
a user without an epoch and are refused after the upgrade: everybody logs in once more.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5e7a1c2d9b40'
down_revision = '373258fbed19'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_epoch')
