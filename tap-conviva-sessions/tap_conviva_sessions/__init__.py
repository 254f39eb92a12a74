"""Singer tap for the Conviva Insights Sessions V3.

Sampled content/ad sessions, viewer sessions and summaries.
"""
