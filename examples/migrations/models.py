"""The application's models: what the schema must be after `alembic upgrade head`."""

import sqlalchemy as sa

metadata = sa.MetaData()

product = sa.Table(
    "product",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, default="unnamed"),
    sa.Column("sku", sa.String(20), unique=True),
    sa.Column("color", sa.String(20)),
)
tag = sa.Table(
    "tag",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("product_id", sa.Integer, sa.ForeignKey("product.id")),
    sa.Column("label", sa.String(10)),
)
