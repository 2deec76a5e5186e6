"""near-duplicate keys: copies.minhash and copy_bands (dedup.index)

Revision ID: 0004_near_keys
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0004_near_keys'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('copies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('minhash', sa.LargeBinary(), nullable=True))
    op.create_table(
        'copy_bands',
        sa.Column('copy_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('band', sa.Integer(), nullable=False),
        sa.Column('bucket', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['copy_id'], ['copies.id'], ),
        sa.PrimaryKeyConstraint('copy_id', 'band'),
    )
    with op.batch_alter_table('copy_bands', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_copy_bands_bucket'), ['bucket'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('copy_bands', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_copy_bands_bucket'))
    op.drop_table('copy_bands')
    with op.batch_alter_table('copies', schema=None) as batch_op:
        batch_op.drop_column('minhash')
