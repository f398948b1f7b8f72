"""The VaultError tree: every failure a caller may need to tell apart, with a default message."""


class VaultError(Exception):
    """Something went wrong in the vault."""

    # Seconds after which trying again may work (an outage, a throttle); None: it will not.
    retry_after: int | None = None

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class InvalidInput(VaultError):
    """The request is not valid."""


class BadRequest(VaultError):
    """The request could not be read."""


class NotFound(VaultError):
    """No such note."""


class Conflict(VaultError):
    """The note changed while it was being written; try again."""


class Unauthorized(VaultError):
    """The credentials are missing or not valid."""


class Forbidden(VaultError):
    """This action is not allowed."""


class TooManyAttempts(VaultError):
    """Too many attempts; wait and try again."""

    def __init__(self, message: str | None = None, retry_after: int = 60) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PayloadTooLarge(VaultError):
    """The request body is too large."""


class StorageUnavailable(VaultError):
    """The vault's database is unavailable right now; try again in a few seconds."""

    retry_after = 5  # seconds: the start-up retries and a pool's reconnect are that quick


class Misconfigured(VaultError):
    """The vault's configuration cannot work (e.g. the database refuses its credentials)."""


class SchemaError(VaultError):
    """The database schema does not match this version of vault-mcp."""


class EmbedderUnavailable(VaultError):
    """The embedding model could not be loaded."""

    retry_after = 30  # seconds: a failed load is tried again on a backoff that starts at 5


class OAuthError(VaultError):
    """An OAuth protocol error: `error` is the code on the wire (RFC 6749 §4.1.2.1, §5.2)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.status = status
