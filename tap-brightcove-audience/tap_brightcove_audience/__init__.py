"""Singer tap for the Brightcove Audience API.

View events and leads.
"""
