"""standards: overlay translations outside the frozen content

Revision ID: 7c4f2e8a1d35
Revises: 5c2e8f1a9d47
Create Date: 2026-11-29 12:00:00

Reviewed by hand. standards, dimensions and indicators gain a nullable JSON `translations` column holding
the texts of the overlay languages (standards/translations/<language>/). It is not part of a version's
digest and the frozen rule does not cover it, so a published version can gain a language.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '7c4f2e8a1d35'
down_revision = '5c2e8f1a9d47'
branch_labels = None
depends_on = None

TABLES = ('standards', 'dimensions', 'indicators')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column('translations', sa.JSON(), nullable=True))


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column('translations')
