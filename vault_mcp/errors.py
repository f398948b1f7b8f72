"""The VaultError tree: every failure a caller may need to tell apart, with a default message."""


class VaultError(Exception):
    """Something went wrong in the vault."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class InvalidInput(VaultError):
    """The request is not valid."""


class NotFound(VaultError):
    """No such note."""


class Conflict(VaultError):
    """The note changed while it was being written; try again."""


class Unauthorized(VaultError):
    """The credentials are missing or not valid."""


class StorageUnavailable(VaultError):
    """The database cannot be reached right now."""


class SchemaError(VaultError):
    """The database schema does not match this version of vault-mcp."""


class EmbedderUnavailable(VaultError):
    """The embedding model could not be loaded."""
