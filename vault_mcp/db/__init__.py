"""PostgreSQL adapters: connection pool, migrations, notes and users, the embedded server."""
