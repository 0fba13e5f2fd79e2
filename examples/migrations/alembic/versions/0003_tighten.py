"""product.name NOT NULL, product.sku UNIQUE, tag.product_id a foreign key, tag.label 10 characters"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("product") as batch_op:
        batch_op.alter_column("name", existing_type=sa.String(100), nullable=False)
        batch_op.create_unique_constraint("uq_product_sku", ["sku"])
    with op.batch_alter_table("tag") as batch_op:
        batch_op.alter_column("label", existing_type=sa.String(50), type_=sa.String(10))
        batch_op.create_foreign_key("fk_tag_product", "product", ["product_id"], ["id"])


def downgrade():
    pass
