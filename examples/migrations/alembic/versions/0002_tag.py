"""create tag"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tag",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("product_id", sa.Integer, nullable=True),
        sa.Column("label", sa.String(50), nullable=True),
    )


def downgrade():
    op.drop_table("tag")
