"""settlement lines without per-line foreign keys

PostgreSQL checks a foreign key with a trigger per inserted row: a statement of a million lines
spent 20 s of its 22.7 s on the four keys of the line table (docs/benchmarks.md, issue 5). The
statement vouches for its lines instead: ``StatementRepository.replace_lines`` writes the
statement's tenant and id into every line and checks the agreements and adjusted statements they
name set-wise, in one query, before the write. The index on the lines' tenant goes too: lines are
read by statement, and the index costs the bulk write.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 15:18:30.184714
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('settlement_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlement_lines_tenant_id'))
        batch_op.drop_constraint(batch_op.f('fk_settlement_lines_tenant_id_tenants'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_settlement_lines_agreement_id_dealer_agreements'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_settlement_lines_statement_id_settlement_statements'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_settlement_lines_adjusts_statement_id_settlement_statements'), type_='foreignkey')


def downgrade() -> None:
    with op.batch_alter_table('settlement_lines', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_settlement_lines_adjusts_statement_id_settlement_statements'), 'settlement_statements', ['adjusts_statement_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_settlement_lines_statement_id_settlement_statements'), 'settlement_statements', ['statement_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_settlement_lines_agreement_id_dealer_agreements'), 'dealer_agreements', ['agreement_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_settlement_lines_tenant_id_tenants'), 'tenants', ['tenant_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_settlement_lines_tenant_id'), ['tenant_id'], unique=False)
