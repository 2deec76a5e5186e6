"""copies.tables_found: how many statistics tables each copy yielded

The canonical rule chooses the most complete copy of a report by content (tables read, then text),
not by format (issue 12: the PDF behind a one-line page is the report). Existing copies start at 0,
which leaves their canonical choice to the text as before.

Revision ID: 0005_documents
Revises: 0004_near_keys
Create Date: 2026-12-06 12:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_documents'
down_revision = '0004_near_keys'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('copies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tables_found', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('copies', schema=None) as batch_op:
        batch_op.drop_column('tables_found')
