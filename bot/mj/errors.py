"""One exception family for the MJ API. Messages are plain words and never carry the API key."""

from __future__ import annotations


class MJError(Exception):
    """Anything that went wrong talking to the MJ API."""


class MJAuthError(MJError):
    """The API refused the key (HTTP 401). Never retried."""

    def __init__(self) -> None:
        super().__init__("The MJ API key is wrong (HTTP 401).")


class MJUserAgentRefused(MJError):
    """Cloudflare in front of the API refused the User-Agent (403, error code 1010). Never retried."""

    def __init__(self) -> None:
        super().__init__("The MJ API refused the User-Agent (403, error code 1010).")


class MJHTTPError(MJError):
    """The API refused the request with a 4xx status (other than 401 and 1010)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class MJTaskNotFound(MJHTTPError):
    """The API does not know that task (404 on fetch, or an empty answer)."""


class MJTransientError(MJError):
    """Worth retrying: 5xx, 429, a timeout, a reset connection, an HTML or non-JSON body.

    `status` is the HTTP status when there was one.
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class MJTimeout(MJTransientError):
    """The API did not answer within the per-request timeout."""


class MJMalformedResponse(MJTransientError):
    """An answer that is not JSON, or JSON that lacks the fields the contract promises."""


class MJSubmitUncertain(MJError):
    """A submit that may or may not have reached the API. Never retried automatically."""


class MJBatchUnsupported(MJError):
    """The relay does not serve `list-by-condition` (404/405, or an answer that is not a list)."""


class MJImageTooLarge(MJError):
    """The image download passed the byte cap."""
