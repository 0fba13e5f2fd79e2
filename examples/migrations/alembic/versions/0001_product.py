"""create product"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "product",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=True),
        sa.Column("sku", sa.String(20), nullable=True),
    )


def downgrade():
    op.drop_table("product")
