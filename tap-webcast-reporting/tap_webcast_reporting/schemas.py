"""The streams' schemas. Times are UTC ISO 8601 (``...Z``), durations seconds, rates numbers
(66.7 for ``66.7%``), counts integers."""

from __future__ import annotations

from singer_sdk import typing as th

from tap_webcast_reporting.parsing.model import ANALYTICS_COUNTS, STANDARD_QUESTIONS

Time = th.DateTimeType
EVENT_ID = th.Property("event_id", th.StringType, required=True, description="Webcast event id")
EMAIL = th.Property("email", th.StringType, required=True, description="The registrant's email")
UNPARSED = th.Property(
    "unparsed_values",
    th.ObjectType(additional_properties=th.StringType),
    description="Values the tap could not read, as the API wrote them, by field name (each "
    "such field is null); absent when every value was read",
)

TIMEZONES = th.PropertiesList(
    th.Property(
        "timezone_id", th.StringType, required=True, description="A time zone id the API accepts"
    ),
).to_dict()

EVENTS = th.PropertiesList(
    EVENT_ID,
    th.Property("title", th.StringType),
    th.Property("cost_center", th.StringType),
    th.Property("event_expiry", Time, description="When the event expires (UTC)"),
    th.Property("is_expired", th.BooleanType),
    th.Property("folder_id", th.StringType),
    th.Property("latest_registration", Time, description="Latest registration (UTC)"),
    th.Property("latest_session", Time, description="Latest viewing session (UTC)"),
    th.Property("sched_start", th.StringType, description="Scheduled start, as the API writes it"),
    th.Property("sched_end", th.StringType, description="Scheduled end, as the API writes it"),
    th.Property(
        "latest_activity",
        Time,
        description="The later of latest_registration and latest_session (added by the tap)",
    ),
    UNPARSED,
).to_dict()

ANALYTICS = [th.Property(name, th.IntegerType) for name in ANALYTICS_COUNTS] + [
    th.Property("total_conversion_rate", th.NumberType, description="Percent (66.7 for 66.7%)"),
    th.Property("live_conversion_rate", th.NumberType, description="Percent"),
]

FILTERS = th.ObjectType(
    th.Property("dr_regs", th.BooleanType),
    th.Property("dr_sessions", th.BooleanType),
    th.Property("sti_filter", th.ArrayType(th.StringType)),
    th.Property("excl_domain", th.ArrayType(th.StringType)),
    th.Property("incl_domain", th.ArrayType(th.StringType)),
    th.Property("users_qa", th.BooleanType),
    th.Property("user_survey", th.BooleanType),
    th.Property("no_shows", th.BooleanType),
    th.Property("live_viewers", th.BooleanType),
    th.Property("od_viewers", th.BooleanType),
    th.Property("simlive_viewers", th.BooleanType),
)

EVENT_REPORTS = th.PropertiesList(
    EVENT_ID,
    th.Property("eventtitle", th.StringType),
    th.Property("costcenter", th.StringType),
    th.Property("event_creator", th.StringType, description="JSON reports only"),
    th.Property("event_create_time", Time),
    th.Property("live_start_time", Time),
    th.Property("live_end_time", Time),
    th.Property("od_first_published_time", Time, description="XML reports only"),
    th.Property("od_last_published_time", Time, description="JSON reports only"),
    th.Property("od_expiration_time", Time),
    th.Property("sim_live_scheduled_time", Time, description="JSON reports only"),
    th.Property("pre_live_scheduled_time", Time, description="JSON reports only"),
    th.Property("event_duration", th.IntegerType, description="Seconds (JSON reports only)"),
    *ANALYTICS,
    th.Property("filters", FILTERS, description="The filters the report applied, as it says"),
    th.Property("report_type", th.StringType),
    th.Property("report_format", th.StringType, description="xml, json or csv"),
    th.Property("report_run_time", Time),
    th.Property("current_time_zone", th.StringType, description="The report's own time zone name"),
    th.Property("timezone", th.StringType, description="The time zone id the tap asked for"),
    th.Property("report_start", Time, description="Start of the report's date range"),
    th.Property("report_end", Time, description="End of the report's date range"),
    th.Property("api_version", th.StringType),
    th.Property("registrant_count", th.IntegerType, description="Registrants read from the report"),
    th.Property("latest_activity", Time, description="Bookmark: the event list's latest activity"),
    UNPARSED,
).to_dict()

REGISTRATION_QUESTIONS = th.PropertiesList(
    EVENT_ID,
    th.Property("label", th.StringType, required=True),
    th.Property(
        "question_id", th.StringType, description="Absent from JSON/CSV for custom questions"
    ),
    th.Property("position", th.IntegerType),
).to_dict()

SURVEYS = th.PropertiesList(
    EVENT_ID,
    th.Property("name", th.StringType, required=True),
    th.Property("survey_id", th.StringType, description="XML reports only"),
    th.Property("type", th.StringType, description="XML reports only"),
    th.Property("question_count", th.IntegerType),
).to_dict()

SURVEY_QUESTIONS = th.PropertiesList(
    EVENT_ID,
    th.Property("survey_name", th.StringType, required=True),
    th.Property("label", th.StringType, required=True),
    th.Property("survey_id", th.StringType),
    th.Property("question_id", th.StringType),
    th.Property("type", th.StringType),
    th.Property("position", th.IntegerType),
).to_dict()

ANSWER = th.ObjectType(
    th.Property("question_id", th.StringType),
    th.Property("label", th.StringType),
    th.Property("value", th.StringType),
)

REGISTRANTS = th.PropertiesList(
    EVENT_ID,
    EMAIL,
    th.Property("registration_date", Time),
    *(
        th.Property(qid, th.StringType, description=label)
        for qid, label in STANDARD_QUESTIONS.items()
        if qid != "email"
    ),
    th.Property("answers", th.ArrayType(ANSWER), description="Every registration answer"),
    th.Property("referrer", th.StringType),
    th.Property("live_sessions", th.IntegerType),
    th.Property("od_sessions", th.IntegerType),
    th.Property("simlive_sessions", th.IntegerType),
    th.Property("total_sessions", th.IntegerType),
    th.Property("live_duration", th.IntegerType, description="Seconds"),
    th.Property("od_duration", th.IntegerType, description="Seconds"),
    th.Property("simlive_duration", th.IntegerType, description="Seconds"),
    th.Property("total_duration", th.IntegerType, description="Seconds"),
    th.Property(
        "unmapped_values",
        th.ArrayType(th.StringType),
        description="Cells of a row whose cell count differs from its header, whose column "
        "cannot be told without a guess",
    ),
    UNPARSED,
).to_dict()

VIEWING_SESSIONS = th.PropertiesList(
    EVENT_ID,
    EMAIL,
    th.Property(
        "session_number", th.IntegerType, required=True, description="1-based, in report order"
    ),
    th.Property("type", th.StringType, description="Live, On-Demand, SimLive, ..."),
    th.Property("start_time", Time),
    th.Property("end_time", Time),
    th.Property("duration", th.NumberType, description="Seconds"),
    th.Property("media", th.StringType),
    UNPARSED,
).to_dict()

QUESTIONS = th.PropertiesList(
    EVENT_ID,
    EMAIL,
    th.Property("question_number", th.IntegerType, required=True, description="1-based"),
    th.Property("question", th.StringType),
    th.Property("answer", th.StringType),
).to_dict()

SURVEY_RESPONSES = th.PropertiesList(
    EVENT_ID,
    EMAIL,
    th.Property("response_number", th.IntegerType, required=True, description="1-based"),
    th.Property("survey_id", th.StringType),
    th.Property("survey_name", th.StringType),
    th.Property("question_id", th.StringType),
    th.Property("question_label", th.StringType),
    th.Property("value", th.StringType),
).to_dict()
