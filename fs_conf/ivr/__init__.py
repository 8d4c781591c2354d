"""The voice application: FreeSWITCH hands every conference call to it over the outbound socket.

One greenlet per call walks number -> PIN -> role -> dial-in window -> join (flow.py, with the
pure decisions in resolve.py, the PIN lockout in lockout.py and the voice prompts in
prompts.py); the room controller acts on moderators' keys inside the room (room.py,
keypad.py). server.py runs both (`IvrServer`); fs_conf.serve adds the scheduler.
"""
