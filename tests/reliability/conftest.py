"""The IVR tests' fixtures for the reliability tests: a simulator, the IVR and a store wired
over TCP (tests/ivr/conftest.py), taken by name as `bridge` or `bridge_factory`."""

from tests.ivr.conftest import bridge, bridge_factory  # noqa: F401 (fixtures shared by name)
