"""One exception family for the MJ API. Messages are plain words and never carry the API key."""

from __future__ import annotations


class MJError(Exception):
    """Anything that went wrong talking to the MJ API."""


class MJAuthError(MJError):
    def __init__(self) -> None:
        super().__init__("The MJ API key is wrong (HTTP 401).")


class MJUserAgentRefused(MJError):
    def __init__(self) -> None:
        super().__init__("The MJ API refused the User-Agent (403, error code 1010).")


class MJHTTPError(MJError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class MJTaskNotFound(MJHTTPError):
    """The API does not know that task (404 on fetch)."""


class MJTransientError(MJError):
    """Worth retrying: 5xx, a timeout, a reset connection, an HTML or non-JSON body."""


class MJTimeout(MJTransientError):
    pass


class MJMalformedResponse(MJTransientError):
    """JSON that lacks the fields the contract promises."""


class MJSubmitUncertain(MJError):
    """A submit that may or may not have reached the API. Never retried automatically."""


class MJBatchUnsupported(MJError):
    """The relay does not serve `list-by-condition`."""


class MJImageTooLarge(MJError):
    pass
