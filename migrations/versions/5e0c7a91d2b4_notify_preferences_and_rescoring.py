"""notification keys, subjects, delivery and preferences; reopened review scores

Revision ID: 5e0c7a91d2b4
Revises: 5e1c0a7d9b21
Create Date: 2026-11-29 11:05:00

Reviewed by hand: new columns on notifications (the event key, unique per recipient; the subject; how it is
mailed; when it went into a digest), one new table (per-person, per-kind delivery choice), and
review_scores.reopened_at (an indicator to re-score after a resubmission). Existing notifications get
delivery 'email' and an empty subject type.
"""

import sqlalchemy as sa
from alembic import op

revision = '5e0c7a91d2b4'
down_revision = '5e1c0a7d9b21'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notification_preferences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('delivery', sa.String(length=10), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_preferences')),
    sa.UniqueConstraint('user_id', 'kind', name='uq_notification_preferences_user_kind')
    )
    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_preferences_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key', sa.String(length=160), nullable=True))
        batch_op.add_column(sa.Column('subject_type', sa.String(length=30), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('subject_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('delivery', sa.String(length=10), nullable=False, server_default='email'))
        batch_op.add_column(sa.Column('digested_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint('uq_notifications_user_key', ['user_id', 'key'])
        batch_op.create_index('ix_notifications_delivery_digested', ['delivery', 'digested_at'], unique=False)

    with op.batch_alter_table('review_scores', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reopened_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('review_scores', schema=None) as batch_op:
        batch_op.drop_column('reopened_at')

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_delivery_digested')
        batch_op.drop_constraint('uq_notifications_user_key', type_='unique')
        batch_op.drop_column('digested_at')
        batch_op.drop_column('delivery')
        batch_op.drop_column('subject_id')
        batch_op.drop_column('subject_type')
        batch_op.drop_column('key')

    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_preferences_user_id'))

    op.drop_table('notification_preferences')
