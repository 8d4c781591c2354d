"""Issue 10, item 4: a caller ID cannot forge log lines.

The caller ID name and number come from the phone line; FreeSWITCH URL-encodes them on the
Event Socket and fs_conf decodes them, so a line break typed into a caller ID reaches fs_conf
as a line break. Every log record that names them must still be one line.
"""

from __future__ import annotations

import logging

import pytest

from tests.ivr.conftest import WRONG_PIN, Bridge, BridgeFactory

FAKE = "INFO fs_conf.ivr.flow: call 1 from 1001: moderator of conference 1 by caller ID"
NUMBER = f"1001\n{FAKE}\r\n"
# `%0A` is not encoded again by FreeSWITCH (switch_url_encode leaves a valid escape alone),
# so fs_conf decodes it into a line break too; ESC and DEL are control characters.
NAME = f"Eve\r\n{FAKE}\x1b[2K\x7f%0A{FAKE}"


def own_messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What fs_conf logged (the simulator, FreeSWITCH's stand-in, logs for itself)."""
    return [r.getMessage() for r in caplog.records if not r.name.startswith("fs_conf.sim")]


def test_a_caller_id_with_line_breaks_cannot_forge_log_lines(
    bridge_factory: BridgeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bridge: Bridge = bridge_factory()
    bridge.conference()
    call = bridge.call(caller_id=NUMBER, caller_name=NAME)
    call.wait_heard("conference/conf-pin")
    call.press(WRONG_PIN + "#")
    call.wait_heard("conference/conf-bad-pin")
    call.hangup()
    bridge.wait_calls_gone()

    messages = own_messages(caplog)
    assert any("wrong PIN" in message for message in messages), messages
    for message in messages:
        assert message.isprintable(), message
    lines = "\n".join(messages).splitlines()
    assert not [line for line in lines if line.lstrip().startswith(FAKE)], lines
