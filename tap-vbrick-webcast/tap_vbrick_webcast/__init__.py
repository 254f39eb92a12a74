"""Singer tap for the Vbrick Rev webcast reports.

Webcasts, attendee sessions, comments, polls, Q&A.
"""
