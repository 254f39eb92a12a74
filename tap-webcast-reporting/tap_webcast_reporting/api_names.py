"""Every URL path and parameter name the tap sends, in one place.

The captured Reporting API page lost most of them. Those marked ASSUMED follow the page's own
patterns (the format as a path suffix like ``/api/login/json``; ``ui``/``si``/``ver`` on every
reporting call; ``ei`` for the event, as an older reporting call named it; the filter names of the
JSON sample's ``filters`` object) and are listed in the README.
"""

from __future__ import annotations

API_VERSION = "2.0"

# Documented: https://api.webcasts.com/api/login?username=&password=&ver=2.0 (XML).
LOGIN_PATH = "/login"
# Documented: https://reporting.webcasts.com/api/reporting/timezones?ui=&si=
TIMEZONES_PATH = "/timezones"
# Documented: https://api.webcasts.com/api/reporting/eventlist?si=&ui=
EVENT_LIST_PATH = "/reporting/eventlist"
# ASSUMED: the report call, under reporting_url, with the format as a path suffix.
REPORT_PATH = "/report/{format}"
# ASSUMED: expired events have "a separate request" of their own.
EXPIRED_REPORT_PATH = "/expiredreport/{format}"

# Documented parameter names.
USERNAME = "username"
PASSWORD = "password"  # noqa: S105 - a parameter name, not a password
VERSION = "ver"
USER_ID = "ui"
SESSION_ID = "si"
# ASSUMED parameter names of the report call.
EVENT_ID = "ei"
TIMEZONE = "tz"
START_DATE = "start"  # MM/DD/YYYY, the report's own date format (ASSUMED)
END_DATE = "end"
DATE_FORMAT = "%m/%d/%Y"

# Report filters: setting name -> parameter name (ASSUMED from the JSON sample's filters; the
# include-domain one is spelled "inclu_domain" in the parameter table's text).
ON_OFF_FILTERS: dict[str, str] = {
    "filter_registered_in_range": "dr_regs",
    "filter_viewed_in_range": "dr_sessions",
    "filter_asked_question": "users_qa",
    "filter_answered_survey": "user_survey",
    "filter_no_shows": "no_shows",
    "filter_live_viewers": "live_viewers",
    "filter_on_demand_viewers": "od_viewers",
    "filter_simlive_viewers": "simlive_viewers",
}
LIST_FILTERS: dict[str, str] = {
    "campaign_ids": "sti_filter",
    "exclude_domains": "excl_domain",
    "include_domains": "inclu_domain",
}
# The name a report states a filter under where it is not the parameter's (the JSON sample's
# filters object and the XML's email_domain_include_filter say incl_domain).
STATED_FILTERS: dict[str, str] = {"inclu_domain": "incl_domain"}

# Query parameters whose values never reach a log line, an error or a record.
SECRET_PARAMETERS = frozenset({PASSWORD, SESSION_ID, "currentpassword", "newpassword"})
