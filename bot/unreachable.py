"""Why a host could not be reached, in a few plain words ("connection refused", "TLS failed (…)")."""

from __future__ import annotations

import errno
import os
import socket
import ssl

import aiohttp


def connect_failure(err: aiohttp.ClientConnectorError) -> str:
    """What stopped the connection, in lower case and without the host (the caller names it)."""
    os_error = err.os_error
    if isinstance(os_error, ssl.SSLError):
        detail = getattr(os_error, "verify_message", None) or os_error.reason or type(os_error).__name__
        return f"TLS failed ({detail})"
    code = os_error.errno
    if code is not None and code in errno.errorcode and not isinstance(os_error, socket.gaierror):
        # asyncio words a refused connection "Connect call failed (host, port)"; the errno says why.
        reason = os.strerror(code)
    else:
        reason = os_error.strerror or str(os_error) or type(os_error).__name__
    return reason[:1].lower() + reason[1:]
