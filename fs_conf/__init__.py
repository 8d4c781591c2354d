"""fs_conf: a conference bridge for FreeSWITCH."""

__version__ = "0.1.0"
