"""conference.conf.xml loading in FreeSWITCH's format."""

from __future__ import annotations

import pytest

from fs_conf.sim.conference_config import ConferenceConfig, ConferenceConfigError
from tests.sim.conftest import DATA


def test_loads_groups_profiles_and_expands_globals() -> None:
    config = ConferenceConfig.load(DATA / "conference.conf.xml", {"domain": "example.org"})
    moderator = {c.digits: (c.action, c.data) for c in config.controls("test-moderator") or []}
    assert moderator["*1"] == ("event", "mute-all")
    assert moderator["*2"] == ("execute_application", "playback conference/conf-muted.wav")
    profile = config.profile("fsconf")
    assert profile.get("moderator-controls") == "test-moderator"
    assert profile.get_int("max-members") == 3
    assert config.profile("default").get("domain") == "example.org"


def test_default_group_is_builtin_when_not_configured() -> None:
    config = ConferenceConfig()
    keys = {c.digits: c.action for c in config.controls("default") or []}
    assert keys["0"] == "mute" and keys["*"] == "deaf mute" and keys["#"] == "hangup"
    assert config.controls("nosuchgroup") is None


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        (
            "<configuration><caller-controls><group name='g'><control digits='1'/></group>"
            "</caller-controls></configuration>",
            "needs action and digits",
        ),
        (
            "<configuration><caller-controls><group name='g'><control action='api' digits='1'/>"
            "</group></caller-controls></configuration>",
            "unknown action 'api'",
        ),
        (
            "<configuration><profiles><profile><param name='a' value='b'/></profile></profiles>"
            "</configuration>",
            "profile> without a name",
        ),
        ("<nothing/>", "no <configuration>"),
        ("<configuration>", "not well-formed"),
    ],
)
def test_bad_config_names_the_problem(xml: str, message: str) -> None:
    with pytest.raises(ConferenceConfigError, match=message):
        ConferenceConfig.parse(xml, {})
