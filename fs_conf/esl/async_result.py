"""A typed view of gevent's AsyncResult, the one-shot value a greenlet waits for.

gevent ships no type hints, so its AsyncResult is untyped; annotating an instance with this
Protocol lets the checker follow the value from `set` to `get`.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

T = TypeVar("T")


class AsyncResult(Protocol[T]):
    """The part of `gevent.event.AsyncResult` fs_conf.esl uses."""

    def get(self, block: bool = True, timeout: float | None = None) -> T:
        """The value once set (or raise the exception set); gevent.Timeout after `timeout`."""
        ...

    def set(self, value: T) -> None: ...

    def set_exception(self, exception: BaseException) -> None: ...

    def ready(self) -> bool: ...
