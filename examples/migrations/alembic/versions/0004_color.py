"""product.color"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("product", sa.Column("color", sa.String(20), nullable=True))


def downgrade():
    op.drop_column("product", "color")
