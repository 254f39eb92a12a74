"""Singer tap for the webcasts.com Reporting API.

Events, registrants, viewing sessions, Q&A, surveys.
"""
