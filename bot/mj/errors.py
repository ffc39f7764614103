"""One exception family for the MJ API. Messages are plain words and never carry the API key.

The relay in front of midjourney-proxy (new-api) has causes of its own: an operator's balance that ran
out, a token that expired, an upstream it cannot reach. Each is its own class, so the engine can answer
each in its own way and the user reads a plain sentence.
"""

from __future__ import annotations

from enum import StrEnum


class MJError(Exception):
    """Anything that went wrong talking to the MJ API."""


class KeyProblem(StrEnum):
    """Why the API refused the key (new-api model/token.go ValidateUserToken tells these apart)."""

    WRONG = "wrong"  # no such key
    EXHAUSTED = "exhausted"  # the token's own quota is used up
    EXPIRED = "expired"
    DISABLED = "disabled"


class MJAuthError(MJError):
    """The API refused the key (HTTP 401). Never retried."""

    def __init__(self, problem: KeyProblem = KeyProblem.WRONG) -> None:
        words = {
            KeyProblem.WRONG: "The MJ API key is wrong (HTTP 401).",
            KeyProblem.EXHAUSTED: "The MJ API key's own quota is used up (HTTP 401).",
            KeyProblem.EXPIRED: "The MJ API key has expired (HTTP 401).",
            KeyProblem.DISABLED: "The MJ API key is disabled (HTTP 401).",
        }
        super().__init__(words[problem])
        self.problem = problem


class MJUserAgentRefused(MJError):
    """Cloudflare in front of the API refused the User-Agent (403, error code 1010). Never retried."""

    def __init__(self) -> None:
        super().__init__("The MJ API refused the User-Agent (403, error code 1010).")


class MJHTTPError(MJError):
    """The API refused the request with a 4xx status (other than 401 and 1010).

    `said` is the API's own words (its description), shown to the user as they came.
    """

    def __init__(self, status: int, message: str, *, said: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.said = said


class MJRefused(MJError):
    """A route that is not a job (an upload, a seed) answered a code other than success; `said` is its
    own words."""

    def __init__(self, code: int, said: str) -> None:
        super().__init__(f"The MJ API refused it (code {code}): {said}")
        self.code = code
        self.said = said


class MJTaskNotFound(MJHTTPError):
    """The API does not know that task (404, 204, an empty answer, or new-api's `task_no_found`)."""


class MJCreditExhausted(MJHTTPError):
    """The operator's balance at the relay is used up (new-api `quota_not_enough`); nothing was charged."""


class MJUnknownAction(MJHTTPError):
    """The relay cannot run this button (new-api `unknown_action`): bookmarks, Animate, describe's buttons."""


class MJParentNotReady(MJHTTPError):
    """A button of a task the relay does not yet show as finished (new-api `task_status_not_success`)."""


class MJTransientError(MJError):
    """Worth retrying: 5xx, 429, a timeout, a reset connection, an HTML or non-JSON body.

    `status` is the HTTP status when there was one. `nothing_stored` is True when the answer proves the
    request was not taken (so a submit may be sent again).
    """

    nothing_stored = False

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class MJTimeout(MJTransientError):
    """The API did not answer within the per-request timeout."""


class MJMalformedResponse(MJTransientError):
    """An answer that is not JSON, or JSON that lacks the fields the contract promises."""


class MJUpstreamUnreachable(MJTransientError):
    """The relay could not reach midjourney-proxy (new-api code 5): it stored nothing and charged nothing."""

    nothing_stored = True


class MJNoChannel(MJTransientError):
    """The relay has no upstream channel for this model right now (new-api 503 `model_not_found`)."""

    nothing_stored = True


class MJRateLimited(MJTransientError):
    """The API or a gateway in front of it asks us to slow down (HTTP 429); the request was not taken."""

    nothing_stored = True


class MJSubmitUncertain(MJError):
    """A submit that may or may not have reached the API. Never retried automatically."""


class MJBatchUnsupported(MJError):
    """The relay does not serve `list-by-condition` (404/405, or an answer that is not a list)."""


class MJImageTooLarge(MJError):
    """The image download passed the byte cap."""


class MJImageGone(MJError):
    """The image cannot be had any more (the CDN link expired, or the relay lost the task). Never heals."""


class MJAnswerTooLarge(MJTransientError):
    """A JSON answer larger than the bot accepts (a broken or hostile server)."""
