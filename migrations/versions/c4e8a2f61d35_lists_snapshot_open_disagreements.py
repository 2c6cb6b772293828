"""lists: score snapshots count their unmoderated disagreements, for the staff dashboard

Revision ID: c4e8a2f61d35
Revises: 9b4e2d7c6a18
Create Date: 2026-11-29 15:10:00

Reviewed by hand: score_snapshots gains open_disagreements (indicators of `result` whose reviewers disagree
and that nobody moderated), filled here for the snapshots already written, an index on
(application_id, id) to tell an application's latest snapshot in one probe, and one on (open_disagreements
DESC, application_id) in the staff dashboard's order; assignments.due_on is indexed for its overdue reviews.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c4e8a2f61d35"
down_revision = "9b4e2d7c6a18"
branch_labels = None
depends_on = None

_BACKFILL = {
    "postgresql": """
        UPDATE score_snapshots SET open_disagreements = jsonb_array_length(jsonb_path_query_array(
            CAST(result AS JSONB), '$.indicators.* ? (@.disagreement == true && @.moderated == false)'))
    """,
    "sqlite": """
        UPDATE score_snapshots SET open_disagreements = (
            SELECT count(*) FROM json_each(score_snapshots.result, '$.indicators')
            WHERE json_extract(value, '$.disagreement') = 1 AND json_extract(value, '$.moderated') = 0)
    """,
}


def upgrade() -> None:
    with op.batch_alter_table('score_snapshots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('open_disagreements', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index('ix_score_snapshots_latest', ['application_id', 'id'], unique=False)
        batch_op.create_index(
            'ix_score_snapshots_open_disagreements',
            [sa.text('open_disagreements DESC'), 'application_id'],
            unique=False,
        )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignments_due_on'), ['due_on'], unique=False)
    backfill = _BACKFILL.get(op.get_bind().dialect.name)
    if backfill:
        op.execute(backfill)


def downgrade() -> None:
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignments_due_on'))
    with op.batch_alter_table('score_snapshots', schema=None) as batch_op:
        batch_op.drop_index('ix_score_snapshots_open_disagreements')
        batch_op.drop_index('ix_score_snapshots_latest')
        batch_op.drop_column('open_disagreements')
