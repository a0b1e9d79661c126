"""Storage: SQLModel tables scoped by tenant, the async engine, and Alembic migrations."""
