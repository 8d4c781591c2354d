"""Every exception fs_conf.esl raises is an ESLError, defined in fs_conf.esl.errors."""

from __future__ import annotations

import fs_conf.esl
from fs_conf.esl import ESLError, ProtocolError


def exported_exceptions() -> list[type[BaseException]]:
    exported = (getattr(fs_conf.esl, name) for name in fs_conf.esl.__all__)
    return [obj for obj in exported if isinstance(obj, type) and issubclass(obj, BaseException)]


def test_every_exported_exception_is_an_esl_error_from_the_errors_module() -> None:
    exceptions = exported_exceptions()
    assert ProtocolError in exceptions
    for exception in exceptions:
        assert issubclass(exception, ESLError), exception
        assert exception.__module__ == "fs_conf.esl.errors", exception


def test_the_tree_is_at_most_two_levels_below_its_root() -> None:
    for exception in exported_exceptions():
        ancestors = [base for base in exception.__mro__ if issubclass(base, ESLError)]
        assert len(ancestors) <= 3, ancestors
