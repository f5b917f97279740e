"""How a delivery fails: for now (retry with backoff) or for good (report at once)."""
from __future__ import annotations


class DeliveryError(Exception):
    """A message could not be delivered; the message is one line for the subscriber's report."""

    transient = False


class TransientError(DeliveryError):
    """The server could not be reached or said "try again later" (SMTP 4xx, HTTP 5xx / 429)."""

    transient = True


class PermanentError(DeliveryError):
    """The server refused for good (a rejected address, a refused login, HTTP 4xx): retrying the
    same message would be refused again, and may lock the account."""


def delays(attempts: int, first_ms: int, cap_s: float = 300.0) -> list[float]:
    """The waits, in seconds, before attempts 2 … `attempts`: first_ms, doubling, at most cap_s."""
    return [min(cap_s, first_ms / 1000 * 2 ** i) for i in range(max(0, attempts - 1))]
