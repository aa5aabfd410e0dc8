import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AuthorRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AUTHOR_ROLE_UNSPECIFIED: _ClassVar[AuthorRole]
    AUTHOR_ROLE_CUSTOMER: _ClassVar[AuthorRole]
    AUTHOR_ROLE_AGENT: _ClassVar[AuthorRole]
    AUTHOR_ROLE_BOT: _ClassVar[AuthorRole]
    AUTHOR_ROLE_SYSTEM: _ClassVar[AuthorRole]

class TicketStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TICKET_STATUS_UNSPECIFIED: _ClassVar[TicketStatus]
    TICKET_STATUS_NEW: _ClassVar[TicketStatus]
    TICKET_STATUS_OPEN: _ClassVar[TicketStatus]
    TICKET_STATUS_PENDING: _ClassVar[TicketStatus]
    TICKET_STATUS_ON_HOLD: _ClassVar[TicketStatus]
    TICKET_STATUS_SOLVED: _ClassVar[TicketStatus]
    TICKET_STATUS_CLOSED: _ClassVar[TicketStatus]

class IngestOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INGEST_OUTCOME_UNSPECIFIED: _ClassVar[IngestOutcome]
    INGEST_OUTCOME_CREATED: _ClassVar[IngestOutcome]
    INGEST_OUTCOME_UPDATED: _ClassVar[IngestOutcome]
    INGEST_OUTCOME_UNCHANGED: _ClassVar[IngestOutcome]
    INGEST_OUTCOME_STALE: _ClassVar[IngestOutcome]

class Cohort(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COHORT_UNSPECIFIED: _ClassVar[Cohort]
    COHORT_SOLVED: _ClassVar[Cohort]
    COHORT_FCR: _ClassVar[Cohort]
    COHORT_NOT_FCR: _ClassVar[Cohort]
    COHORT_RESPONDED: _ClassVar[Cohort]
    COHORT_UNRESPONDED: _ClassVar[Cohort]
    COHORT_REOPENED: _ClassVar[Cohort]
    COHORT_RATED: _ClassVar[Cohort]
    COHORT_EVER_SOLVED: _ClassVar[Cohort]

class FcrVariant(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FCR_VARIANT_UNSPECIFIED: _ClassVar[FcrVariant]
    FCR_VARIANT_ONE_TOUCH: _ClassVar[FcrVariant]
    FCR_VARIANT_NO_CUSTOMER_FOLLOWUP: _ClassVar[FcrVariant]

class Granularity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GRANULARITY_UNSPECIFIED: _ClassVar[Granularity]
    GRANULARITY_HOUR: _ClassVar[Granularity]
    GRANULARITY_DAY: _ClassVar[Granularity]
    GRANULARITY_WEEK: _ClassVar[Granularity]
AUTHOR_ROLE_UNSPECIFIED: AuthorRole
AUTHOR_ROLE_CUSTOMER: AuthorRole
AUTHOR_ROLE_AGENT: AuthorRole
AUTHOR_ROLE_BOT: AuthorRole
AUTHOR_ROLE_SYSTEM: AuthorRole
TICKET_STATUS_UNSPECIFIED: TicketStatus
TICKET_STATUS_NEW: TicketStatus
TICKET_STATUS_OPEN: TicketStatus
TICKET_STATUS_PENDING: TicketStatus
TICKET_STATUS_ON_HOLD: TicketStatus
TICKET_STATUS_SOLVED: TicketStatus
TICKET_STATUS_CLOSED: TicketStatus
INGEST_OUTCOME_UNSPECIFIED: IngestOutcome
INGEST_OUTCOME_CREATED: IngestOutcome
INGEST_OUTCOME_UPDATED: IngestOutcome
INGEST_OUTCOME_UNCHANGED: IngestOutcome
INGEST_OUTCOME_STALE: IngestOutcome
COHORT_UNSPECIFIED: Cohort
COHORT_SOLVED: Cohort
COHORT_FCR: Cohort
COHORT_NOT_FCR: Cohort
COHORT_RESPONDED: Cohort
COHORT_UNRESPONDED: Cohort
COHORT_REOPENED: Cohort
COHORT_RATED: Cohort
COHORT_EVER_SOLVED: Cohort
FCR_VARIANT_UNSPECIFIED: FcrVariant
FCR_VARIANT_ONE_TOUCH: FcrVariant
FCR_VARIANT_NO_CUSTOMER_FOLLOWUP: FcrVariant
GRANULARITY_UNSPECIFIED: Granularity
GRANULARITY_HOUR: Granularity
GRANULARITY_DAY: Granularity
GRANULARITY_WEEK: Granularity

class Message(_message.Message):
    __slots__ = ("external_id", "author_role", "created_at", "body", "public", "author_id")
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_ROLE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_ID_FIELD_NUMBER: _ClassVar[int]
    external_id: str
    author_role: AuthorRole
    created_at: _timestamp_pb2.Timestamp
    body: str
    public: bool
    author_id: str
    def __init__(self, external_id: _Optional[str] = ..., author_role: _Optional[_Union[AuthorRole, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., body: _Optional[str] = ..., public: _Optional[bool] = ..., author_id: _Optional[str] = ...) -> None: ...

class Ticket(_message.Message):
    __slots__ = ("tenant_id", "external_id", "created_at", "updated_at", "channel", "subject", "description", "messages", "status", "solved_at", "reopen_count", "customer_id", "customer_since", "attributes", "tags", "csat", "language", "first_solved_at")
    class AttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SOLVED_AT_FIELD_NUMBER: _ClassVar[int]
    REOPEN_COUNT_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_SINCE_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    CSAT_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    FIRST_SOLVED_AT_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    external_id: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    channel: str
    subject: str
    description: str
    messages: _containers.RepeatedCompositeFieldContainer[Message]
    status: TicketStatus
    solved_at: _timestamp_pb2.Timestamp
    reopen_count: int
    customer_id: str
    customer_since: _timestamp_pb2.Timestamp
    attributes: _containers.ScalarMap[str, str]
    tags: _containers.RepeatedScalarFieldContainer[str]
    csat: int
    language: str
    first_solved_at: _timestamp_pb2.Timestamp
    def __init__(self, tenant_id: _Optional[str] = ..., external_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., channel: _Optional[str] = ..., subject: _Optional[str] = ..., description: _Optional[str] = ..., messages: _Optional[_Iterable[_Union[Message, _Mapping]]] = ..., status: _Optional[_Union[TicketStatus, str]] = ..., solved_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reopen_count: _Optional[int] = ..., customer_id: _Optional[str] = ..., customer_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attributes: _Optional[_Mapping[str, str]] = ..., tags: _Optional[_Iterable[str]] = ..., csat: _Optional[int] = ..., language: _Optional[str] = ..., first_solved_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class IngestTicketRequest(_message.Message):
    __slots__ = ("ticket",)
    TICKET_FIELD_NUMBER: _ClassVar[int]
    ticket: Ticket
    def __init__(self, ticket: _Optional[_Union[Ticket, _Mapping]] = ...) -> None: ...

class TicketAnalysis(_message.Message):
    __slots__ = ("first_response_seconds", "resolution_seconds", "full_resolution_seconds", "public_agent_replies", "solved", "reopened", "ever_solved", "fcr", "fcr_no_followup")
    FIRST_RESPONSE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    FULL_RESOLUTION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_AGENT_REPLIES_FIELD_NUMBER: _ClassVar[int]
    SOLVED_FIELD_NUMBER: _ClassVar[int]
    REOPENED_FIELD_NUMBER: _ClassVar[int]
    EVER_SOLVED_FIELD_NUMBER: _ClassVar[int]
    FCR_FIELD_NUMBER: _ClassVar[int]
    FCR_NO_FOLLOWUP_FIELD_NUMBER: _ClassVar[int]
    first_response_seconds: float
    resolution_seconds: float
    full_resolution_seconds: float
    public_agent_replies: int
    solved: bool
    reopened: bool
    ever_solved: bool
    fcr: bool
    fcr_no_followup: bool
    def __init__(self, first_response_seconds: _Optional[float] = ..., resolution_seconds: _Optional[float] = ..., full_resolution_seconds: _Optional[float] = ..., public_agent_replies: _Optional[int] = ..., solved: _Optional[bool] = ..., reopened: _Optional[bool] = ..., ever_solved: _Optional[bool] = ..., fcr: _Optional[bool] = ..., fcr_no_followup: _Optional[bool] = ...) -> None: ...

class IngestTicketResponse(_message.Message):
    __slots__ = ("tenant_id", "external_id", "outcome", "analysis")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    ANALYSIS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    external_id: str
    outcome: IngestOutcome
    analysis: TicketAnalysis
    def __init__(self, tenant_id: _Optional[str] = ..., external_id: _Optional[str] = ..., outcome: _Optional[_Union[IngestOutcome, str]] = ..., analysis: _Optional[_Union[TicketAnalysis, _Mapping]] = ...) -> None: ...

class FieldViolation(_message.Message):
    __slots__ = ("field", "description")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    field: str
    description: str
    def __init__(self, field: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class ItemError(_message.Message):
    __slots__ = ("index", "external_id", "reason", "field_violations")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    FIELD_VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    index: int
    external_id: str
    reason: str
    field_violations: _containers.RepeatedCompositeFieldContainer[FieldViolation]
    def __init__(self, index: _Optional[int] = ..., external_id: _Optional[str] = ..., reason: _Optional[str] = ..., field_violations: _Optional[_Iterable[_Union[FieldViolation, _Mapping]]] = ...) -> None: ...

class IngestTicketsResponse(_message.Message):
    __slots__ = ("accepted", "created", "updated", "unchanged", "stale", "rejected", "errors")
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    STALE_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    accepted: int
    created: int
    updated: int
    unchanged: int
    stale: int
    rejected: int
    errors: _containers.RepeatedCompositeFieldContainer[ItemError]
    def __init__(self, accepted: _Optional[int] = ..., created: _Optional[int] = ..., updated: _Optional[int] = ..., unchanged: _Optional[int] = ..., stale: _Optional[int] = ..., rejected: _Optional[int] = ..., errors: _Optional[_Iterable[_Union[ItemError, _Mapping]]] = ...) -> None: ...

class GetTicketRequest(_message.Message):
    __slots__ = ("tenant_id", "external_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    external_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., external_id: _Optional[str] = ...) -> None: ...

class GetTicketResponse(_message.Message):
    __slots__ = ("ticket", "analysis", "ingested_at")
    TICKET_FIELD_NUMBER: _ClassVar[int]
    ANALYSIS_FIELD_NUMBER: _ClassVar[int]
    INGESTED_AT_FIELD_NUMBER: _ClassVar[int]
    ticket: Ticket
    analysis: TicketAnalysis
    ingested_at: _timestamp_pb2.Timestamp
    def __init__(self, ticket: _Optional[_Union[Ticket, _Mapping]] = ..., analysis: _Optional[_Union[TicketAnalysis, _Mapping]] = ..., ingested_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TicketFilter(_message.Message):
    __slots__ = ("start_time", "end_time", "channels", "attributes", "statuses", "customer_id", "cohort", "fcr_variant")
    class AttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    COHORT_FIELD_NUMBER: _ClassVar[int]
    FCR_VARIANT_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    channels: _containers.RepeatedScalarFieldContainer[str]
    attributes: _containers.ScalarMap[str, str]
    statuses: _containers.RepeatedScalarFieldContainer[TicketStatus]
    customer_id: str
    cohort: Cohort
    fcr_variant: FcrVariant
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., channels: _Optional[_Iterable[str]] = ..., attributes: _Optional[_Mapping[str, str]] = ..., statuses: _Optional[_Iterable[_Union[TicketStatus, str]]] = ..., customer_id: _Optional[str] = ..., cohort: _Optional[_Union[Cohort, str]] = ..., fcr_variant: _Optional[_Union[FcrVariant, str]] = ...) -> None: ...

class ListTicketsRequest(_message.Message):
    __slots__ = ("tenant_id", "filter", "page_size", "page_token", "include_messages")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_MESSAGES_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    filter: TicketFilter
    page_size: int
    page_token: str
    include_messages: bool
    def __init__(self, tenant_id: _Optional[str] = ..., filter: _Optional[_Union[TicketFilter, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., include_messages: _Optional[bool] = ...) -> None: ...

class TicketView(_message.Message):
    __slots__ = ("ticket", "analysis")
    TICKET_FIELD_NUMBER: _ClassVar[int]
    ANALYSIS_FIELD_NUMBER: _ClassVar[int]
    ticket: Ticket
    analysis: TicketAnalysis
    def __init__(self, ticket: _Optional[_Union[Ticket, _Mapping]] = ..., analysis: _Optional[_Union[TicketAnalysis, _Mapping]] = ...) -> None: ...

class ListTicketsResponse(_message.Message):
    __slots__ = ("tickets", "next_page_token", "total_size")
    TICKETS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    tickets: _containers.RepeatedCompositeFieldContainer[TicketView]
    next_page_token: str
    total_size: int
    def __init__(self, tickets: _Optional[_Iterable[_Union[TicketView, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class GetMetricsRequest(_message.Message):
    __slots__ = ("tenant_id", "filter", "group_by", "granularity", "time_zone", "fcr_variant")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    GROUP_BY_FIELD_NUMBER: _ClassVar[int]
    GRANULARITY_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    FCR_VARIANT_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    filter: TicketFilter
    group_by: str
    granularity: Granularity
    time_zone: str
    fcr_variant: FcrVariant
    def __init__(self, tenant_id: _Optional[str] = ..., filter: _Optional[_Union[TicketFilter, _Mapping]] = ..., group_by: _Optional[str] = ..., granularity: _Optional[_Union[Granularity, str]] = ..., time_zone: _Optional[str] = ..., fcr_variant: _Optional[_Union[FcrVariant, str]] = ...) -> None: ...

class Ratio(_message.Message):
    __slots__ = ("numerator", "denominator", "value")
    NUMERATOR_FIELD_NUMBER: _ClassVar[int]
    DENOMINATOR_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    numerator: int
    denominator: int
    value: float
    def __init__(self, numerator: _Optional[int] = ..., denominator: _Optional[int] = ..., value: _Optional[float] = ...) -> None: ...

class DurationStats(_message.Message):
    __slots__ = ("n", "mean_seconds", "p50_seconds", "p90_seconds")
    N_FIELD_NUMBER: _ClassVar[int]
    MEAN_SECONDS_FIELD_NUMBER: _ClassVar[int]
    P50_SECONDS_FIELD_NUMBER: _ClassVar[int]
    P90_SECONDS_FIELD_NUMBER: _ClassVar[int]
    n: int
    mean_seconds: float
    p50_seconds: float
    p90_seconds: float
    def __init__(self, n: _Optional[int] = ..., mean_seconds: _Optional[float] = ..., p50_seconds: _Optional[float] = ..., p90_seconds: _Optional[float] = ...) -> None: ...

class CsatStats(_message.Message):
    __slots__ = ("n", "mean", "satisfied_share", "counts")
    N_FIELD_NUMBER: _ClassVar[int]
    MEAN_FIELD_NUMBER: _ClassVar[int]
    SATISFIED_SHARE_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    n: int
    mean: float
    satisfied_share: float
    counts: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, n: _Optional[int] = ..., mean: _Optional[float] = ..., satisfied_share: _Optional[float] = ..., counts: _Optional[_Iterable[int]] = ...) -> None: ...

class MetricSet(_message.Message):
    __slots__ = ("volume", "solved", "fcr", "first_response_time", "resolution_time", "full_resolution_time", "reopen_rate", "csat")
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    SOLVED_FIELD_NUMBER: _ClassVar[int]
    FCR_FIELD_NUMBER: _ClassVar[int]
    FIRST_RESPONSE_TIME_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_TIME_FIELD_NUMBER: _ClassVar[int]
    FULL_RESOLUTION_TIME_FIELD_NUMBER: _ClassVar[int]
    REOPEN_RATE_FIELD_NUMBER: _ClassVar[int]
    CSAT_FIELD_NUMBER: _ClassVar[int]
    volume: int
    solved: int
    fcr: Ratio
    first_response_time: DurationStats
    resolution_time: DurationStats
    full_resolution_time: DurationStats
    reopen_rate: Ratio
    csat: CsatStats
    def __init__(self, volume: _Optional[int] = ..., solved: _Optional[int] = ..., fcr: _Optional[_Union[Ratio, _Mapping]] = ..., first_response_time: _Optional[_Union[DurationStats, _Mapping]] = ..., resolution_time: _Optional[_Union[DurationStats, _Mapping]] = ..., full_resolution_time: _Optional[_Union[DurationStats, _Mapping]] = ..., reopen_rate: _Optional[_Union[Ratio, _Mapping]] = ..., csat: _Optional[_Union[CsatStats, _Mapping]] = ...) -> None: ...

class MetricDefinition(_message.Message):
    __slots__ = ("name", "variant", "definition")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VARIANT_FIELD_NUMBER: _ClassVar[int]
    DEFINITION_FIELD_NUMBER: _ClassVar[int]
    name: str
    variant: str
    definition: str
    def __init__(self, name: _Optional[str] = ..., variant: _Optional[str] = ..., definition: _Optional[str] = ...) -> None: ...

class SeriesPoint(_message.Message):
    __slots__ = ("start_time", "label", "metrics", "drill_down")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    DRILL_DOWN_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    label: str
    metrics: MetricSet
    drill_down: TicketFilter
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., label: _Optional[str] = ..., metrics: _Optional[_Union[MetricSet, _Mapping]] = ..., drill_down: _Optional[_Union[TicketFilter, _Mapping]] = ...) -> None: ...

class MetricsGroup(_message.Message):
    __slots__ = ("key", "value", "metrics", "series", "drill_down")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    SERIES_FIELD_NUMBER: _ClassVar[int]
    DRILL_DOWN_FIELD_NUMBER: _ClassVar[int]
    key: str
    value: str
    metrics: MetricSet
    series: _containers.RepeatedCompositeFieldContainer[SeriesPoint]
    drill_down: TicketFilter
    def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ..., metrics: _Optional[_Union[MetricSet, _Mapping]] = ..., series: _Optional[_Iterable[_Union[SeriesPoint, _Mapping]]] = ..., drill_down: _Optional[_Union[TicketFilter, _Mapping]] = ...) -> None: ...

class GetMetricsResponse(_message.Message):
    __slots__ = ("start_time", "end_time", "time_zone", "granularity", "group_by", "overall", "series", "groups", "definitions", "drill_down", "total_groups")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    GRANULARITY_FIELD_NUMBER: _ClassVar[int]
    GROUP_BY_FIELD_NUMBER: _ClassVar[int]
    OVERALL_FIELD_NUMBER: _ClassVar[int]
    SERIES_FIELD_NUMBER: _ClassVar[int]
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    DEFINITIONS_FIELD_NUMBER: _ClassVar[int]
    DRILL_DOWN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_GROUPS_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    time_zone: str
    granularity: Granularity
    group_by: str
    overall: MetricSet
    series: _containers.RepeatedCompositeFieldContainer[SeriesPoint]
    groups: _containers.RepeatedCompositeFieldContainer[MetricsGroup]
    definitions: _containers.RepeatedCompositeFieldContainer[MetricDefinition]
    drill_down: TicketFilter
    total_groups: int
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., time_zone: _Optional[str] = ..., granularity: _Optional[_Union[Granularity, str]] = ..., group_by: _Optional[str] = ..., overall: _Optional[_Union[MetricSet, _Mapping]] = ..., series: _Optional[_Iterable[_Union[SeriesPoint, _Mapping]]] = ..., groups: _Optional[_Iterable[_Union[MetricsGroup, _Mapping]]] = ..., definitions: _Optional[_Iterable[_Union[MetricDefinition, _Mapping]]] = ..., drill_down: _Optional[_Union[TicketFilter, _Mapping]] = ..., total_groups: _Optional[int] = ...) -> None: ...
