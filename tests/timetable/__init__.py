"""Tests of fs_conf.timetable: validation, expansion across DST, join windows, the index."""
