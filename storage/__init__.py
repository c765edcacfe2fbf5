"""Persistence: SQLAlchemy models, repositories, unit of work, migrations."""
