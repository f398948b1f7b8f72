"""Composition root: opens the database and the embedder and hands the services to both doors.

database  where the database is, its schema checked, a pool, a health probe
wiring    which concrete store, embedder and service each part gets
handle    the services opened in the background, retried until the database answers
"""

from vault_mcp.runtime.database import database_dsn, open_database, prepare_schema
from vault_mcp.runtime.handle import ServicesHandle
from vault_mcp.runtime.wiring import Services, open_accounts, open_services

__all__ = [
    "Services",
    "ServicesHandle",
    "database_dsn",
    "open_accounts",
    "open_database",
    "open_services",
    "prepare_schema",
]
