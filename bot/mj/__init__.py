"""The Midjourney proxy API client: typed models, one exception family, one HTTP choke point."""

from bot.mj.client import MJClient
from bot.mj.errors import (
    MJAuthError,
    MJBatchUnsupported,
    MJError,
    MJHTTPError,
    MJImageTooLarge,
    MJMalformedResponse,
    MJSubmitUncertain,
    MJTaskNotFound,
    MJTimeout,
    MJTransientError,
    MJUserAgentRefused,
)
from bot.mj.models import SubmitCode, SubmitResult, Task, TaskAction, TaskButton, TaskStatus

__all__ = [
    "MJAuthError",
    "MJBatchUnsupported",
    "MJClient",
    "MJError",
    "MJHTTPError",
    "MJImageTooLarge",
    "MJMalformedResponse",
    "MJSubmitUncertain",
    "MJTaskNotFound",
    "MJTimeout",
    "MJTransientError",
    "MJUserAgentRefused",
    "SubmitCode",
    "SubmitResult",
    "Task",
    "TaskAction",
    "TaskButton",
    "TaskStatus",
]
