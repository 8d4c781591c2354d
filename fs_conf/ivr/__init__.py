"""The voice application: FreeSWITCH hands every conference call to it over the outbound socket.

One greenlet per call walks number -> PIN -> role -> dial-in window -> join (flow.py); the room
controller acts on moderators' keys inside the room (room_control.py, keypad.py). server.py
runs both (`IvrServer`). The modules and the decisions behind them: docs/ivr.md
"""
