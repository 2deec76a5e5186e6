"""Load stage: SQLModel models, Alembic migrations, and the one place rows are written (Store)."""
