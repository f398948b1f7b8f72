"""vault-mcp: a personal knowledge vault that AI assistants use as their memory."""

__version__ = "0.1.0"
