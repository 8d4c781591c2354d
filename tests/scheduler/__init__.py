"""Tests of the scheduler: the pure planner, mailings, the loop, call-outs, rooms, restarts."""
