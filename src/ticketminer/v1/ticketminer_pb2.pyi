import datetime

from google.protobuf import field_mask_pb2 as _field_mask_pb2
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

class FactSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FACT_SOURCE_UNSPECIFIED: _ClassVar[FactSource]
    FACT_SOURCE_THREAD: _ClassVar[FactSource]
    FACT_SOURCE_REPORTED: _ClassVar[FactSource]

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

class IssueStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ISSUE_STATUS_UNSPECIFIED: _ClassVar[IssueStatus]
    ISSUE_STATUS_ACTIVE: _ClassVar[IssueStatus]
    ISSUE_STATUS_MERGED: _ClassVar[IssueStatus]
    ISSUE_STATUS_RETIRED: _ClassVar[IssueStatus]

class LineageKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LINEAGE_KIND_UNSPECIFIED: _ClassVar[LineageKind]
    LINEAGE_KIND_BORN: _ClassVar[LineageKind]
    LINEAGE_KIND_MERGED: _ClassVar[LineageKind]
    LINEAGE_KIND_SPLIT: _ClassVar[LineageKind]
    LINEAGE_KIND_RETIRED: _ClassVar[LineageKind]

class AnomalyKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ANOMALY_KIND_UNSPECIFIED: _ClassVar[AnomalyKind]
    ANOMALY_KIND_VOLUME_SURGE: _ClassVar[AnomalyKind]
    ANOMALY_KIND_EMERGING_ISSUE: _ClassVar[AnomalyKind]
    ANOMALY_KIND_KPI_DEGRADATION: _ClassVar[AnomalyKind]
    ANOMALY_KIND_SENTIMENT_SURGE: _ClassVar[AnomalyKind]

class AnomalyStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ANOMALY_STATUS_UNSPECIFIED: _ClassVar[AnomalyStatus]
    ANOMALY_STATUS_OPEN: _ClassVar[AnomalyStatus]
    ANOMALY_STATUS_ONGOING: _ClassVar[AnomalyStatus]
    ANOMALY_STATUS_RESOLVED: _ClassVar[AnomalyStatus]

class Severity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEVERITY_UNSPECIFIED: _ClassVar[Severity]
    SEVERITY_LOW: _ClassVar[Severity]
    SEVERITY_MEDIUM: _ClassVar[Severity]
    SEVERITY_HIGH: _ClassVar[Severity]
    SEVERITY_CRITICAL: _ClassVar[Severity]

class DigestFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DIGEST_FORMAT_UNSPECIFIED: _ClassVar[DigestFormat]
    DIGEST_FORMAT_MARKDOWN: _ClassVar[DigestFormat]
    DIGEST_FORMAT_HTML: _ClassVar[DigestFormat]
    DIGEST_FORMAT_DATA: _ClassVar[DigestFormat]

class IssueGranularity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ISSUE_GRANULARITY_UNSPECIFIED: _ClassVar[IssueGranularity]
    ISSUE_GRANULARITY_COARSE: _ClassVar[IssueGranularity]
    ISSUE_GRANULARITY_STANDARD: _ClassVar[IssueGranularity]
    ISSUE_GRANULARITY_FINE: _ClassVar[IssueGranularity]
    ISSUE_GRANULARITY_VARIANTS: _ClassVar[IssueGranularity]

class Weekday(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WEEKDAY_UNSPECIFIED: _ClassVar[Weekday]
    WEEKDAY_MONDAY: _ClassVar[Weekday]
    WEEKDAY_TUESDAY: _ClassVar[Weekday]
    WEEKDAY_WEDNESDAY: _ClassVar[Weekday]
    WEEKDAY_THURSDAY: _ClassVar[Weekday]
    WEEKDAY_FRIDAY: _ClassVar[Weekday]
    WEEKDAY_SATURDAY: _ClassVar[Weekday]
    WEEKDAY_SUNDAY: _ClassVar[Weekday]

class DeliveryChannel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DELIVERY_CHANNEL_UNSPECIFIED: _ClassVar[DeliveryChannel]
    DELIVERY_CHANNEL_EMAIL: _ClassVar[DeliveryChannel]
    DELIVERY_CHANNEL_SLACK: _ClassVar[DeliveryChannel]
    DELIVERY_CHANNEL_FEISHU: _ClassVar[DeliveryChannel]
    DELIVERY_CHANNEL_DINGTALK: _ClassVar[DeliveryChannel]
    DELIVERY_CHANNEL_WECOM: _ClassVar[DeliveryChannel]
    DELIVERY_CHANNEL_WEBHOOK: _ClassVar[DeliveryChannel]

class DeliveryStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DELIVERY_STATUS_UNSPECIFIED: _ClassVar[DeliveryStatus]
    DELIVERY_STATUS_PENDING: _ClassVar[DeliveryStatus]
    DELIVERY_STATUS_SENT: _ClassVar[DeliveryStatus]
    DELIVERY_STATUS_FAILED: _ClassVar[DeliveryStatus]
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
FACT_SOURCE_UNSPECIFIED: FactSource
FACT_SOURCE_THREAD: FactSource
FACT_SOURCE_REPORTED: FactSource
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
ISSUE_STATUS_UNSPECIFIED: IssueStatus
ISSUE_STATUS_ACTIVE: IssueStatus
ISSUE_STATUS_MERGED: IssueStatus
ISSUE_STATUS_RETIRED: IssueStatus
LINEAGE_KIND_UNSPECIFIED: LineageKind
LINEAGE_KIND_BORN: LineageKind
LINEAGE_KIND_MERGED: LineageKind
LINEAGE_KIND_SPLIT: LineageKind
LINEAGE_KIND_RETIRED: LineageKind
ANOMALY_KIND_UNSPECIFIED: AnomalyKind
ANOMALY_KIND_VOLUME_SURGE: AnomalyKind
ANOMALY_KIND_EMERGING_ISSUE: AnomalyKind
ANOMALY_KIND_KPI_DEGRADATION: AnomalyKind
ANOMALY_KIND_SENTIMENT_SURGE: AnomalyKind
ANOMALY_STATUS_UNSPECIFIED: AnomalyStatus
ANOMALY_STATUS_OPEN: AnomalyStatus
ANOMALY_STATUS_ONGOING: AnomalyStatus
ANOMALY_STATUS_RESOLVED: AnomalyStatus
SEVERITY_UNSPECIFIED: Severity
SEVERITY_LOW: Severity
SEVERITY_MEDIUM: Severity
SEVERITY_HIGH: Severity
SEVERITY_CRITICAL: Severity
DIGEST_FORMAT_UNSPECIFIED: DigestFormat
DIGEST_FORMAT_MARKDOWN: DigestFormat
DIGEST_FORMAT_HTML: DigestFormat
DIGEST_FORMAT_DATA: DigestFormat
ISSUE_GRANULARITY_UNSPECIFIED: IssueGranularity
ISSUE_GRANULARITY_COARSE: IssueGranularity
ISSUE_GRANULARITY_STANDARD: IssueGranularity
ISSUE_GRANULARITY_FINE: IssueGranularity
ISSUE_GRANULARITY_VARIANTS: IssueGranularity
WEEKDAY_UNSPECIFIED: Weekday
WEEKDAY_MONDAY: Weekday
WEEKDAY_TUESDAY: Weekday
WEEKDAY_WEDNESDAY: Weekday
WEEKDAY_THURSDAY: Weekday
WEEKDAY_FRIDAY: Weekday
WEEKDAY_SATURDAY: Weekday
WEEKDAY_SUNDAY: Weekday
DELIVERY_CHANNEL_UNSPECIFIED: DeliveryChannel
DELIVERY_CHANNEL_EMAIL: DeliveryChannel
DELIVERY_CHANNEL_SLACK: DeliveryChannel
DELIVERY_CHANNEL_FEISHU: DeliveryChannel
DELIVERY_CHANNEL_DINGTALK: DeliveryChannel
DELIVERY_CHANNEL_WECOM: DeliveryChannel
DELIVERY_CHANNEL_WEBHOOK: DeliveryChannel
DELIVERY_STATUS_UNSPECIFIED: DeliveryStatus
DELIVERY_STATUS_PENDING: DeliveryStatus
DELIVERY_STATUS_SENT: DeliveryStatus
DELIVERY_STATUS_FAILED: DeliveryStatus

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
    __slots__ = ("tenant_id", "external_id", "created_at", "updated_at", "channel", "subject", "description", "messages", "status", "solved_at", "reopen_count", "customer_id", "customer_since", "attributes", "tags", "csat", "language", "first_solved_at", "reported")
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
    REPORTED_FIELD_NUMBER: _ClassVar[int]
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
    reported: ReportedFacts
    def __init__(self, tenant_id: _Optional[str] = ..., external_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., channel: _Optional[str] = ..., subject: _Optional[str] = ..., description: _Optional[str] = ..., messages: _Optional[_Iterable[_Union[Message, _Mapping]]] = ..., status: _Optional[_Union[TicketStatus, str]] = ..., solved_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reopen_count: _Optional[int] = ..., customer_id: _Optional[str] = ..., customer_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attributes: _Optional[_Mapping[str, str]] = ..., tags: _Optional[_Iterable[str]] = ..., csat: _Optional[int] = ..., language: _Optional[str] = ..., first_solved_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reported: _Optional[_Union[ReportedFacts, _Mapping]] = ...) -> None: ...

class ReportedFacts(_message.Message):
    __slots__ = ("public_agent_replies", "first_response_seconds")
    PUBLIC_AGENT_REPLIES_FIELD_NUMBER: _ClassVar[int]
    FIRST_RESPONSE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    public_agent_replies: int
    first_response_seconds: float
    def __init__(self, public_agent_replies: _Optional[int] = ..., first_response_seconds: _Optional[float] = ...) -> None: ...

class IngestTicketRequest(_message.Message):
    __slots__ = ("ticket",)
    TICKET_FIELD_NUMBER: _ClassVar[int]
    ticket: Ticket
    def __init__(self, ticket: _Optional[_Union[Ticket, _Mapping]] = ...) -> None: ...

class TicketAnalysis(_message.Message):
    __slots__ = ("first_response_seconds", "resolution_seconds", "full_resolution_seconds", "public_agent_replies", "solved", "reopened", "ever_solved", "fcr", "fcr_no_followup", "first_response_source", "public_agent_replies_source")
    FIRST_RESPONSE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    FULL_RESOLUTION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_AGENT_REPLIES_FIELD_NUMBER: _ClassVar[int]
    SOLVED_FIELD_NUMBER: _ClassVar[int]
    REOPENED_FIELD_NUMBER: _ClassVar[int]
    EVER_SOLVED_FIELD_NUMBER: _ClassVar[int]
    FCR_FIELD_NUMBER: _ClassVar[int]
    FCR_NO_FOLLOWUP_FIELD_NUMBER: _ClassVar[int]
    FIRST_RESPONSE_SOURCE_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_AGENT_REPLIES_SOURCE_FIELD_NUMBER: _ClassVar[int]
    first_response_seconds: float
    resolution_seconds: float
    full_resolution_seconds: float
    public_agent_replies: int
    solved: bool
    reopened: bool
    ever_solved: bool
    fcr: bool
    fcr_no_followup: bool
    first_response_source: FactSource
    public_agent_replies_source: FactSource
    def __init__(self, first_response_seconds: _Optional[float] = ..., resolution_seconds: _Optional[float] = ..., full_resolution_seconds: _Optional[float] = ..., public_agent_replies: _Optional[int] = ..., solved: _Optional[bool] = ..., reopened: _Optional[bool] = ..., ever_solved: _Optional[bool] = ..., fcr: _Optional[bool] = ..., fcr_no_followup: _Optional[bool] = ..., first_response_source: _Optional[_Union[FactSource, str]] = ..., public_agent_replies_source: _Optional[_Union[FactSource, str]] = ...) -> None: ...

class IssueRef(_message.Message):
    __slots__ = ("issue_id", "label", "confidence", "model_version", "assigned_at", "sub_issue_id", "sub_issue_label")
    ISSUE_ID_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    ASSIGNED_AT_FIELD_NUMBER: _ClassVar[int]
    SUB_ISSUE_ID_FIELD_NUMBER: _ClassVar[int]
    SUB_ISSUE_LABEL_FIELD_NUMBER: _ClassVar[int]
    issue_id: str
    label: str
    confidence: float
    model_version: int
    assigned_at: _timestamp_pb2.Timestamp
    sub_issue_id: str
    sub_issue_label: str
    def __init__(self, issue_id: _Optional[str] = ..., label: _Optional[str] = ..., confidence: _Optional[float] = ..., model_version: _Optional[int] = ..., assigned_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sub_issue_id: _Optional[str] = ..., sub_issue_label: _Optional[str] = ...) -> None: ...

class IngestTicketResponse(_message.Message):
    __slots__ = ("tenant_id", "external_id", "outcome", "analysis", "issue_id", "label", "confidence", "model_version", "active_anomalies", "sub_issue_id", "sub_issue_label")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    ANALYSIS_FIELD_NUMBER: _ClassVar[int]
    ISSUE_ID_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_ANOMALIES_FIELD_NUMBER: _ClassVar[int]
    SUB_ISSUE_ID_FIELD_NUMBER: _ClassVar[int]
    SUB_ISSUE_LABEL_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    external_id: str
    outcome: IngestOutcome
    analysis: TicketAnalysis
    issue_id: str
    label: str
    confidence: float
    model_version: int
    active_anomalies: _containers.RepeatedCompositeFieldContainer[AnomalyRef]
    sub_issue_id: str
    sub_issue_label: str
    def __init__(self, tenant_id: _Optional[str] = ..., external_id: _Optional[str] = ..., outcome: _Optional[_Union[IngestOutcome, str]] = ..., analysis: _Optional[_Union[TicketAnalysis, _Mapping]] = ..., issue_id: _Optional[str] = ..., label: _Optional[str] = ..., confidence: _Optional[float] = ..., model_version: _Optional[int] = ..., active_anomalies: _Optional[_Iterable[_Union[AnomalyRef, _Mapping]]] = ..., sub_issue_id: _Optional[str] = ..., sub_issue_label: _Optional[str] = ...) -> None: ...

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
    __slots__ = ("accepted", "created", "updated", "unchanged", "stale", "rejected", "errors", "errors_truncated")
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    STALE_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    ERRORS_TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    accepted: int
    created: int
    updated: int
    unchanged: int
    stale: int
    rejected: int
    errors: _containers.RepeatedCompositeFieldContainer[ItemError]
    errors_truncated: bool
    def __init__(self, accepted: _Optional[int] = ..., created: _Optional[int] = ..., updated: _Optional[int] = ..., unchanged: _Optional[int] = ..., stale: _Optional[int] = ..., rejected: _Optional[int] = ..., errors: _Optional[_Iterable[_Union[ItemError, _Mapping]]] = ..., errors_truncated: _Optional[bool] = ...) -> None: ...

class GetTicketRequest(_message.Message):
    __slots__ = ("tenant_id", "external_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    external_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., external_id: _Optional[str] = ...) -> None: ...

class GetTicketResponse(_message.Message):
    __slots__ = ("ticket", "analysis", "ingested_at", "issue", "issue_history", "messages_truncated")
    TICKET_FIELD_NUMBER: _ClassVar[int]
    ANALYSIS_FIELD_NUMBER: _ClassVar[int]
    INGESTED_AT_FIELD_NUMBER: _ClassVar[int]
    ISSUE_FIELD_NUMBER: _ClassVar[int]
    ISSUE_HISTORY_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    ticket: Ticket
    analysis: TicketAnalysis
    ingested_at: _timestamp_pb2.Timestamp
    issue: IssueRef
    issue_history: _containers.RepeatedCompositeFieldContainer[IssueRef]
    messages_truncated: bool
    def __init__(self, ticket: _Optional[_Union[Ticket, _Mapping]] = ..., analysis: _Optional[_Union[TicketAnalysis, _Mapping]] = ..., ingested_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., issue: _Optional[_Union[IssueRef, _Mapping]] = ..., issue_history: _Optional[_Iterable[_Union[IssueRef, _Mapping]]] = ..., messages_truncated: _Optional[bool] = ...) -> None: ...

class TicketFilter(_message.Message):
    __slots__ = ("start_time", "end_time", "channels", "attributes", "statuses", "customer_id", "cohort", "fcr_variant", "issue_ids", "anomaly_id", "tenure_buckets", "tags")
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
    ISSUE_IDS_FIELD_NUMBER: _ClassVar[int]
    ANOMALY_ID_FIELD_NUMBER: _ClassVar[int]
    TENURE_BUCKETS_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    channels: _containers.RepeatedScalarFieldContainer[str]
    attributes: _containers.ScalarMap[str, str]
    statuses: _containers.RepeatedScalarFieldContainer[TicketStatus]
    customer_id: str
    cohort: Cohort
    fcr_variant: FcrVariant
    issue_ids: _containers.RepeatedScalarFieldContainer[str]
    anomaly_id: str
    tenure_buckets: _containers.RepeatedScalarFieldContainer[str]
    tags: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., channels: _Optional[_Iterable[str]] = ..., attributes: _Optional[_Mapping[str, str]] = ..., statuses: _Optional[_Iterable[_Union[TicketStatus, str]]] = ..., customer_id: _Optional[str] = ..., cohort: _Optional[_Union[Cohort, str]] = ..., fcr_variant: _Optional[_Union[FcrVariant, str]] = ..., issue_ids: _Optional[_Iterable[str]] = ..., anomaly_id: _Optional[str] = ..., tenure_buckets: _Optional[_Iterable[str]] = ..., tags: _Optional[_Iterable[str]] = ...) -> None: ...

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
    __slots__ = ("ticket", "analysis", "issue", "messages_truncated")
    TICKET_FIELD_NUMBER: _ClassVar[int]
    ANALYSIS_FIELD_NUMBER: _ClassVar[int]
    ISSUE_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    ticket: Ticket
    analysis: TicketAnalysis
    issue: IssueRef
    messages_truncated: bool
    def __init__(self, ticket: _Optional[_Union[Ticket, _Mapping]] = ..., analysis: _Optional[_Union[TicketAnalysis, _Mapping]] = ..., issue: _Optional[_Union[IssueRef, _Mapping]] = ..., messages_truncated: _Optional[bool] = ...) -> None: ...

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
    __slots__ = ("volume", "solved", "fcr", "first_response_time", "resolution_time", "full_resolution_time", "reopen_rate", "csat", "business_first_response_time", "business_resolution_time", "business_full_resolution_time", "sentiment_mean", "negative_share", "sentiment_scored")
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    SOLVED_FIELD_NUMBER: _ClassVar[int]
    FCR_FIELD_NUMBER: _ClassVar[int]
    FIRST_RESPONSE_TIME_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_TIME_FIELD_NUMBER: _ClassVar[int]
    FULL_RESOLUTION_TIME_FIELD_NUMBER: _ClassVar[int]
    REOPEN_RATE_FIELD_NUMBER: _ClassVar[int]
    CSAT_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_FIRST_RESPONSE_TIME_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_RESOLUTION_TIME_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_FULL_RESOLUTION_TIME_FIELD_NUMBER: _ClassVar[int]
    SENTIMENT_MEAN_FIELD_NUMBER: _ClassVar[int]
    NEGATIVE_SHARE_FIELD_NUMBER: _ClassVar[int]
    SENTIMENT_SCORED_FIELD_NUMBER: _ClassVar[int]
    volume: int
    solved: int
    fcr: Ratio
    first_response_time: DurationStats
    resolution_time: DurationStats
    full_resolution_time: DurationStats
    reopen_rate: Ratio
    csat: CsatStats
    business_first_response_time: DurationStats
    business_resolution_time: DurationStats
    business_full_resolution_time: DurationStats
    sentiment_mean: float
    negative_share: float
    sentiment_scored: int
    def __init__(self, volume: _Optional[int] = ..., solved: _Optional[int] = ..., fcr: _Optional[_Union[Ratio, _Mapping]] = ..., first_response_time: _Optional[_Union[DurationStats, _Mapping]] = ..., resolution_time: _Optional[_Union[DurationStats, _Mapping]] = ..., full_resolution_time: _Optional[_Union[DurationStats, _Mapping]] = ..., reopen_rate: _Optional[_Union[Ratio, _Mapping]] = ..., csat: _Optional[_Union[CsatStats, _Mapping]] = ..., business_first_response_time: _Optional[_Union[DurationStats, _Mapping]] = ..., business_resolution_time: _Optional[_Union[DurationStats, _Mapping]] = ..., business_full_resolution_time: _Optional[_Union[DurationStats, _Mapping]] = ..., sentiment_mean: _Optional[float] = ..., negative_share: _Optional[float] = ..., sentiment_scored: _Optional[int] = ...) -> None: ...

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
    __slots__ = ("key", "value", "metrics", "series", "drill_down", "label", "trend")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    SERIES_FIELD_NUMBER: _ClassVar[int]
    DRILL_DOWN_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    TREND_FIELD_NUMBER: _ClassVar[int]
    key: str
    value: str
    metrics: MetricSet
    series: _containers.RepeatedCompositeFieldContainer[SeriesPoint]
    drill_down: TicketFilter
    label: str
    trend: VolumeTrend
    def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ..., metrics: _Optional[_Union[MetricSet, _Mapping]] = ..., series: _Optional[_Iterable[_Union[SeriesPoint, _Mapping]]] = ..., drill_down: _Optional[_Union[TicketFilter, _Mapping]] = ..., label: _Optional[str] = ..., trend: _Optional[_Union[VolumeTrend, _Mapping]] = ...) -> None: ...

class GetMetricsResponse(_message.Message):
    __slots__ = ("start_time", "end_time", "time_zone", "granularity", "group_by", "overall", "series", "groups", "definitions", "drill_down", "total_groups", "trend")
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
    TREND_FIELD_NUMBER: _ClassVar[int]
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
    trend: VolumeTrend
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., time_zone: _Optional[str] = ..., granularity: _Optional[_Union[Granularity, str]] = ..., group_by: _Optional[str] = ..., overall: _Optional[_Union[MetricSet, _Mapping]] = ..., series: _Optional[_Iterable[_Union[SeriesPoint, _Mapping]]] = ..., groups: _Optional[_Iterable[_Union[MetricsGroup, _Mapping]]] = ..., definitions: _Optional[_Iterable[_Union[MetricDefinition, _Mapping]]] = ..., drill_down: _Optional[_Union[TicketFilter, _Mapping]] = ..., total_groups: _Optional[int] = ..., trend: _Optional[_Union[VolumeTrend, _Mapping]] = ...) -> None: ...

class LineageEvent(_message.Message):
    __slots__ = ("kind", "issue_id", "related_issue_id", "model_version", "at", "tickets")
    KIND_FIELD_NUMBER: _ClassVar[int]
    ISSUE_ID_FIELD_NUMBER: _ClassVar[int]
    RELATED_ISSUE_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    TICKETS_FIELD_NUMBER: _ClassVar[int]
    kind: LineageKind
    issue_id: str
    related_issue_id: str
    model_version: int
    at: _timestamp_pb2.Timestamp
    tickets: int
    def __init__(self, kind: _Optional[_Union[LineageKind, str]] = ..., issue_id: _Optional[str] = ..., related_issue_id: _Optional[str] = ..., model_version: _Optional[int] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., tickets: _Optional[int] = ...) -> None: ...

class RepresentativeTicket(_message.Message):
    __slots__ = ("external_id", "snippet")
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    SNIPPET_FIELD_NUMBER: _ClassVar[int]
    external_id: str
    snippet: str
    def __init__(self, external_id: _Optional[str] = ..., snippet: _Optional[str] = ...) -> None: ...

class VolumeTrend(_message.Message):
    __slots__ = ("last_7_days", "previous_7_days", "week_over_week_change", "slope_4_weeks", "last_28_days", "share_last_7_days")
    LAST_7_DAYS_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_7_DAYS_FIELD_NUMBER: _ClassVar[int]
    WEEK_OVER_WEEK_CHANGE_FIELD_NUMBER: _ClassVar[int]
    SLOPE_4_WEEKS_FIELD_NUMBER: _ClassVar[int]
    LAST_28_DAYS_FIELD_NUMBER: _ClassVar[int]
    SHARE_LAST_7_DAYS_FIELD_NUMBER: _ClassVar[int]
    last_7_days: int
    previous_7_days: int
    week_over_week_change: float
    slope_4_weeks: float
    last_28_days: int
    share_last_7_days: float
    def __init__(self, last_7_days: _Optional[int] = ..., previous_7_days: _Optional[int] = ..., week_over_week_change: _Optional[float] = ..., slope_4_weeks: _Optional[float] = ..., last_28_days: _Optional[int] = ..., share_last_7_days: _Optional[float] = ...) -> None: ...

class Issue(_message.Message):
    __slots__ = ("issue_id", "label", "top_terms", "status", "languages", "representative_ticket", "volume", "share", "trend", "metrics", "sample_ticket_ids", "born_at", "model_version", "merged_into", "cluster_size", "drill_down", "sub_issues")
    ISSUE_ID_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    TOP_TERMS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LANGUAGES_FIELD_NUMBER: _ClassVar[int]
    REPRESENTATIVE_TICKET_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    SHARE_FIELD_NUMBER: _ClassVar[int]
    TREND_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_TICKET_IDS_FIELD_NUMBER: _ClassVar[int]
    BORN_AT_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    MERGED_INTO_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_SIZE_FIELD_NUMBER: _ClassVar[int]
    DRILL_DOWN_FIELD_NUMBER: _ClassVar[int]
    SUB_ISSUES_FIELD_NUMBER: _ClassVar[int]
    issue_id: str
    label: str
    top_terms: _containers.RepeatedScalarFieldContainer[str]
    status: IssueStatus
    languages: _containers.RepeatedScalarFieldContainer[str]
    representative_ticket: RepresentativeTicket
    volume: int
    share: float
    trend: VolumeTrend
    metrics: MetricSet
    sample_ticket_ids: _containers.RepeatedScalarFieldContainer[str]
    born_at: _timestamp_pb2.Timestamp
    model_version: int
    merged_into: str
    cluster_size: int
    drill_down: TicketFilter
    sub_issues: _containers.RepeatedCompositeFieldContainer[SubIssue]
    def __init__(self, issue_id: _Optional[str] = ..., label: _Optional[str] = ..., top_terms: _Optional[_Iterable[str]] = ..., status: _Optional[_Union[IssueStatus, str]] = ..., languages: _Optional[_Iterable[str]] = ..., representative_ticket: _Optional[_Union[RepresentativeTicket, _Mapping]] = ..., volume: _Optional[int] = ..., share: _Optional[float] = ..., trend: _Optional[_Union[VolumeTrend, _Mapping]] = ..., metrics: _Optional[_Union[MetricSet, _Mapping]] = ..., sample_ticket_ids: _Optional[_Iterable[str]] = ..., born_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., model_version: _Optional[int] = ..., merged_into: _Optional[str] = ..., cluster_size: _Optional[int] = ..., drill_down: _Optional[_Union[TicketFilter, _Mapping]] = ..., sub_issues: _Optional[_Iterable[_Union[SubIssue, _Mapping]]] = ...) -> None: ...

class SubIssue(_message.Message):
    __slots__ = ("sub_issue_id", "label", "top_terms", "languages", "cluster_size", "share", "representative_ticket")
    SUB_ISSUE_ID_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    TOP_TERMS_FIELD_NUMBER: _ClassVar[int]
    LANGUAGES_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_SIZE_FIELD_NUMBER: _ClassVar[int]
    SHARE_FIELD_NUMBER: _ClassVar[int]
    REPRESENTATIVE_TICKET_FIELD_NUMBER: _ClassVar[int]
    sub_issue_id: str
    label: str
    top_terms: _containers.RepeatedScalarFieldContainer[str]
    languages: _containers.RepeatedScalarFieldContainer[str]
    cluster_size: int
    share: float
    representative_ticket: RepresentativeTicket
    def __init__(self, sub_issue_id: _Optional[str] = ..., label: _Optional[str] = ..., top_terms: _Optional[_Iterable[str]] = ..., languages: _Optional[_Iterable[str]] = ..., cluster_size: _Optional[int] = ..., share: _Optional[float] = ..., representative_ticket: _Optional[_Union[RepresentativeTicket, _Mapping]] = ...) -> None: ...

class ListIssuesRequest(_message.Message):
    __slots__ = ("tenant_id", "start_time", "end_time", "page_size", "include_inactive", "tenure_buckets")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_INACTIVE_FIELD_NUMBER: _ClassVar[int]
    TENURE_BUCKETS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    page_size: int
    include_inactive: bool
    tenure_buckets: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, tenant_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., include_inactive: _Optional[bool] = ..., tenure_buckets: _Optional[_Iterable[str]] = ...) -> None: ...

class ListIssuesResponse(_message.Message):
    __slots__ = ("issues", "model_version", "unassigned_tickets", "total_tickets", "reclustered_at", "total_issues", "definitions")
    ISSUES_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    UNASSIGNED_TICKETS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TICKETS_FIELD_NUMBER: _ClassVar[int]
    RECLUSTERED_AT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ISSUES_FIELD_NUMBER: _ClassVar[int]
    DEFINITIONS_FIELD_NUMBER: _ClassVar[int]
    issues: _containers.RepeatedCompositeFieldContainer[Issue]
    model_version: int
    unassigned_tickets: int
    total_tickets: int
    reclustered_at: _timestamp_pb2.Timestamp
    total_issues: int
    definitions: _containers.RepeatedCompositeFieldContainer[MetricDefinition]
    def __init__(self, issues: _Optional[_Iterable[_Union[Issue, _Mapping]]] = ..., model_version: _Optional[int] = ..., unassigned_tickets: _Optional[int] = ..., total_tickets: _Optional[int] = ..., reclustered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., total_issues: _Optional[int] = ..., definitions: _Optional[_Iterable[_Union[MetricDefinition, _Mapping]]] = ...) -> None: ...

class GetIssueRequest(_message.Message):
    __slots__ = ("tenant_id", "issue_id", "start_time", "end_time", "time_zone")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    ISSUE_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    issue_id: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    time_zone: str
    def __init__(self, tenant_id: _Optional[str] = ..., issue_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., time_zone: _Optional[str] = ...) -> None: ...

class GetIssueResponse(_message.Message):
    __slots__ = ("issue", "daily", "lineage", "hourly", "anomalies", "time_zone", "definitions")
    ISSUE_FIELD_NUMBER: _ClassVar[int]
    DAILY_FIELD_NUMBER: _ClassVar[int]
    LINEAGE_FIELD_NUMBER: _ClassVar[int]
    HOURLY_FIELD_NUMBER: _ClassVar[int]
    ANOMALIES_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    DEFINITIONS_FIELD_NUMBER: _ClassVar[int]
    issue: Issue
    daily: _containers.RepeatedCompositeFieldContainer[SeriesPoint]
    lineage: _containers.RepeatedCompositeFieldContainer[LineageEvent]
    hourly: _containers.RepeatedCompositeFieldContainer[SeriesPoint]
    anomalies: _containers.RepeatedCompositeFieldContainer[AnomalyRef]
    time_zone: str
    definitions: _containers.RepeatedCompositeFieldContainer[MetricDefinition]
    def __init__(self, issue: _Optional[_Union[Issue, _Mapping]] = ..., daily: _Optional[_Iterable[_Union[SeriesPoint, _Mapping]]] = ..., lineage: _Optional[_Iterable[_Union[LineageEvent, _Mapping]]] = ..., hourly: _Optional[_Iterable[_Union[SeriesPoint, _Mapping]]] = ..., anomalies: _Optional[_Iterable[_Union[AnomalyRef, _Mapping]]] = ..., time_zone: _Optional[str] = ..., definitions: _Optional[_Iterable[_Union[MetricDefinition, _Mapping]]] = ...) -> None: ...

class ReclusterIssuesRequest(_message.Message):
    __slots__ = ("tenant_id", "n_issues", "full_rebuild")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    N_ISSUES_FIELD_NUMBER: _ClassVar[int]
    FULL_REBUILD_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    n_issues: int
    full_rebuild: bool
    def __init__(self, tenant_id: _Optional[str] = ..., n_issues: _Optional[int] = ..., full_rebuild: _Optional[bool] = ...) -> None: ...

class ReclusterIssuesResponse(_message.Message):
    __slots__ = ("model_version", "tickets", "issues", "unclustered_tickets", "kept_ids", "events", "seconds")
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    TICKETS_FIELD_NUMBER: _ClassVar[int]
    ISSUES_FIELD_NUMBER: _ClassVar[int]
    UNCLUSTERED_TICKETS_FIELD_NUMBER: _ClassVar[int]
    KEPT_IDS_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    SECONDS_FIELD_NUMBER: _ClassVar[int]
    model_version: int
    tickets: int
    issues: int
    unclustered_tickets: int
    kept_ids: int
    events: _containers.RepeatedCompositeFieldContainer[LineageEvent]
    seconds: float
    def __init__(self, model_version: _Optional[int] = ..., tickets: _Optional[int] = ..., issues: _Optional[int] = ..., unclustered_tickets: _Optional[int] = ..., kept_ids: _Optional[int] = ..., events: _Optional[_Iterable[_Union[LineageEvent, _Mapping]]] = ..., seconds: _Optional[float] = ...) -> None: ...

class Dimension(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: str
    value: str
    def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class RootCauseCandidate(_message.Message):
    __slots__ = ("dimensions", "observed", "expected", "explained_share", "lift", "support", "p_value", "score", "evidence_ticket_ids", "drill_down")
    DIMENSIONS_FIELD_NUMBER: _ClassVar[int]
    OBSERVED_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_FIELD_NUMBER: _ClassVar[int]
    EXPLAINED_SHARE_FIELD_NUMBER: _ClassVar[int]
    LIFT_FIELD_NUMBER: _ClassVar[int]
    SUPPORT_FIELD_NUMBER: _ClassVar[int]
    P_VALUE_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_TICKET_IDS_FIELD_NUMBER: _ClassVar[int]
    DRILL_DOWN_FIELD_NUMBER: _ClassVar[int]
    dimensions: _containers.RepeatedCompositeFieldContainer[Dimension]
    observed: float
    expected: float
    explained_share: float
    lift: float
    support: float
    p_value: float
    score: float
    evidence_ticket_ids: _containers.RepeatedScalarFieldContainer[str]
    drill_down: TicketFilter
    def __init__(self, dimensions: _Optional[_Iterable[_Union[Dimension, _Mapping]]] = ..., observed: _Optional[float] = ..., expected: _Optional[float] = ..., explained_share: _Optional[float] = ..., lift: _Optional[float] = ..., support: _Optional[float] = ..., p_value: _Optional[float] = ..., score: _Optional[float] = ..., evidence_ticket_ids: _Optional[_Iterable[str]] = ..., drill_down: _Optional[_Union[TicketFilter, _Mapping]] = ...) -> None: ...

class TermLift(_message.Message):
    __slots__ = ("term", "anomaly_tickets", "baseline_tickets", "lift")
    TERM_FIELD_NUMBER: _ClassVar[int]
    ANOMALY_TICKETS_FIELD_NUMBER: _ClassVar[int]
    BASELINE_TICKETS_FIELD_NUMBER: _ClassVar[int]
    LIFT_FIELD_NUMBER: _ClassVar[int]
    term: str
    anomaly_tickets: int
    baseline_tickets: int
    lift: float
    def __init__(self, term: _Optional[str] = ..., anomaly_tickets: _Optional[int] = ..., baseline_tickets: _Optional[int] = ..., lift: _Optional[float] = ...) -> None: ...

class Anomaly(_message.Message):
    __slots__ = ("anomaly_id", "kind", "issue_id", "issue_label", "metric", "status", "severity", "start_time", "detected_at", "end_time", "updated_at", "observed", "expected", "change", "p_value", "score", "tickets", "root_causes", "terms", "evidence_ticket_ids", "drill_down", "summary", "issue_ids")
    ANOMALY_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ISSUE_ID_FIELD_NUMBER: _ClassVar[int]
    ISSUE_LABEL_FIELD_NUMBER: _ClassVar[int]
    METRIC_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    DETECTED_AT_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    OBSERVED_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    P_VALUE_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    TICKETS_FIELD_NUMBER: _ClassVar[int]
    ROOT_CAUSES_FIELD_NUMBER: _ClassVar[int]
    TERMS_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_TICKET_IDS_FIELD_NUMBER: _ClassVar[int]
    DRILL_DOWN_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    ISSUE_IDS_FIELD_NUMBER: _ClassVar[int]
    anomaly_id: str
    kind: AnomalyKind
    issue_id: str
    issue_label: str
    metric: str
    status: AnomalyStatus
    severity: Severity
    start_time: _timestamp_pb2.Timestamp
    detected_at: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    observed: float
    expected: float
    change: float
    p_value: float
    score: float
    tickets: int
    root_causes: _containers.RepeatedCompositeFieldContainer[RootCauseCandidate]
    terms: _containers.RepeatedCompositeFieldContainer[TermLift]
    evidence_ticket_ids: _containers.RepeatedScalarFieldContainer[str]
    drill_down: TicketFilter
    summary: str
    issue_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, anomaly_id: _Optional[str] = ..., kind: _Optional[_Union[AnomalyKind, str]] = ..., issue_id: _Optional[str] = ..., issue_label: _Optional[str] = ..., metric: _Optional[str] = ..., status: _Optional[_Union[AnomalyStatus, str]] = ..., severity: _Optional[_Union[Severity, str]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., detected_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., observed: _Optional[float] = ..., expected: _Optional[float] = ..., change: _Optional[float] = ..., p_value: _Optional[float] = ..., score: _Optional[float] = ..., tickets: _Optional[int] = ..., root_causes: _Optional[_Iterable[_Union[RootCauseCandidate, _Mapping]]] = ..., terms: _Optional[_Iterable[_Union[TermLift, _Mapping]]] = ..., evidence_ticket_ids: _Optional[_Iterable[str]] = ..., drill_down: _Optional[_Union[TicketFilter, _Mapping]] = ..., summary: _Optional[str] = ..., issue_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class AnomalyRef(_message.Message):
    __slots__ = ("anomaly_id", "kind", "metric", "status", "severity", "summary", "start_time", "ticket_matches_root_cause", "matched_root_cause")
    ANOMALY_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    METRIC_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    TICKET_MATCHES_ROOT_CAUSE_FIELD_NUMBER: _ClassVar[int]
    MATCHED_ROOT_CAUSE_FIELD_NUMBER: _ClassVar[int]
    anomaly_id: str
    kind: AnomalyKind
    metric: str
    status: AnomalyStatus
    severity: Severity
    summary: str
    start_time: _timestamp_pb2.Timestamp
    ticket_matches_root_cause: bool
    matched_root_cause: _containers.RepeatedCompositeFieldContainer[Dimension]
    def __init__(self, anomaly_id: _Optional[str] = ..., kind: _Optional[_Union[AnomalyKind, str]] = ..., metric: _Optional[str] = ..., status: _Optional[_Union[AnomalyStatus, str]] = ..., severity: _Optional[_Union[Severity, str]] = ..., summary: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ticket_matches_root_cause: _Optional[bool] = ..., matched_root_cause: _Optional[_Iterable[_Union[Dimension, _Mapping]]] = ...) -> None: ...

class ListAnomaliesRequest(_message.Message):
    __slots__ = ("tenant_id", "start_time", "end_time", "kinds", "issue_ids", "statuses", "min_severity", "page_size", "page_token")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    ISSUE_IDS_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    MIN_SEVERITY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    kinds: _containers.RepeatedScalarFieldContainer[AnomalyKind]
    issue_ids: _containers.RepeatedScalarFieldContainer[str]
    statuses: _containers.RepeatedScalarFieldContainer[AnomalyStatus]
    min_severity: Severity
    page_size: int
    page_token: str
    def __init__(self, tenant_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., kinds: _Optional[_Iterable[_Union[AnomalyKind, str]]] = ..., issue_ids: _Optional[_Iterable[str]] = ..., statuses: _Optional[_Iterable[_Union[AnomalyStatus, str]]] = ..., min_severity: _Optional[_Union[Severity, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAnomaliesResponse(_message.Message):
    __slots__ = ("anomalies", "next_page_token", "total_size", "scanned_at")
    ANOMALIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    SCANNED_AT_FIELD_NUMBER: _ClassVar[int]
    anomalies: _containers.RepeatedCompositeFieldContainer[Anomaly]
    next_page_token: str
    total_size: int
    scanned_at: _timestamp_pb2.Timestamp
    def __init__(self, anomalies: _Optional[_Iterable[_Union[Anomaly, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ..., scanned_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetAnomalyRequest(_message.Message):
    __slots__ = ("tenant_id", "anomaly_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    ANOMALY_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    anomaly_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., anomaly_id: _Optional[str] = ...) -> None: ...

class AnomalyPoint(_message.Message):
    __slots__ = ("start_time", "observed", "expected", "n")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    OBSERVED_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_FIELD_NUMBER: _ClassVar[int]
    N_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    observed: float
    expected: float
    n: int
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., observed: _Optional[float] = ..., expected: _Optional[float] = ..., n: _Optional[int] = ...) -> None: ...

class GetAnomalyResponse(_message.Message):
    __slots__ = ("anomaly", "series")
    ANOMALY_FIELD_NUMBER: _ClassVar[int]
    SERIES_FIELD_NUMBER: _ClassVar[int]
    anomaly: Anomaly
    series: _containers.RepeatedCompositeFieldContainer[AnomalyPoint]
    def __init__(self, anomaly: _Optional[_Union[Anomaly, _Mapping]] = ..., series: _Optional[_Iterable[_Union[AnomalyPoint, _Mapping]]] = ...) -> None: ...

class ScanAnomaliesRequest(_message.Message):
    __slots__ = ("tenant_id",)
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    def __init__(self, tenant_id: _Optional[str] = ...) -> None: ...

class ScanAnomaliesResponse(_message.Message):
    __slots__ = ("opened", "updated", "resolved", "series", "hours", "seconds", "active")
    OPENED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_FIELD_NUMBER: _ClassVar[int]
    SERIES_FIELD_NUMBER: _ClassVar[int]
    HOURS_FIELD_NUMBER: _ClassVar[int]
    SECONDS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    opened: int
    updated: int
    resolved: int
    series: int
    hours: int
    seconds: float
    active: _containers.RepeatedCompositeFieldContainer[AnomalyRef]
    def __init__(self, opened: _Optional[int] = ..., updated: _Optional[int] = ..., resolved: _Optional[int] = ..., series: _Optional[int] = ..., hours: _Optional[int] = ..., seconds: _Optional[float] = ..., active: _Optional[_Iterable[_Union[AnomalyRef, _Mapping]]] = ...) -> None: ...

class GetWeeklyDigestRequest(_message.Message):
    __slots__ = ("tenant_id", "iso_week", "time_zone", "format", "fcr_variant")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    ISO_WEEK_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    FCR_VARIANT_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    iso_week: str
    time_zone: str
    format: DigestFormat
    fcr_variant: FcrVariant
    def __init__(self, tenant_id: _Optional[str] = ..., iso_week: _Optional[str] = ..., time_zone: _Optional[str] = ..., format: _Optional[_Union[DigestFormat, str]] = ..., fcr_variant: _Optional[_Union[FcrVariant, str]] = ...) -> None: ...

class DigestKpi(_message.Message):
    __slots__ = ("name", "value", "previous_value", "delta", "unit", "better", "improved", "n", "drill_down")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_VALUE_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    BETTER_FIELD_NUMBER: _ClassVar[int]
    IMPROVED_FIELD_NUMBER: _ClassVar[int]
    N_FIELD_NUMBER: _ClassVar[int]
    DRILL_DOWN_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: float
    previous_value: float
    delta: float
    unit: str
    better: str
    improved: bool
    n: int
    drill_down: TicketFilter
    def __init__(self, name: _Optional[str] = ..., value: _Optional[float] = ..., previous_value: _Optional[float] = ..., delta: _Optional[float] = ..., unit: _Optional[str] = ..., better: _Optional[str] = ..., improved: _Optional[bool] = ..., n: _Optional[int] = ..., drill_down: _Optional[_Union[TicketFilter, _Mapping]] = ...) -> None: ...

class DigestDay(_message.Message):
    __slots__ = ("date", "volume", "previous_volume", "drill_down")
    DATE_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_VOLUME_FIELD_NUMBER: _ClassVar[int]
    DRILL_DOWN_FIELD_NUMBER: _ClassVar[int]
    date: str
    volume: int
    previous_volume: int
    drill_down: TicketFilter
    def __init__(self, date: _Optional[str] = ..., volume: _Optional[int] = ..., previous_volume: _Optional[int] = ..., drill_down: _Optional[_Union[TicketFilter, _Mapping]] = ...) -> None: ...

class DigestIssue(_message.Message):
    __slots__ = ("issue_id", "label", "top_terms", "volume", "previous_volume", "week_over_week_change", "share", "weekly_volumes", "metrics", "previous_metrics", "drill_down", "first_seen")
    ISSUE_ID_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    TOP_TERMS_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_VOLUME_FIELD_NUMBER: _ClassVar[int]
    WEEK_OVER_WEEK_CHANGE_FIELD_NUMBER: _ClassVar[int]
    SHARE_FIELD_NUMBER: _ClassVar[int]
    WEEKLY_VOLUMES_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_METRICS_FIELD_NUMBER: _ClassVar[int]
    DRILL_DOWN_FIELD_NUMBER: _ClassVar[int]
    FIRST_SEEN_FIELD_NUMBER: _ClassVar[int]
    issue_id: str
    label: str
    top_terms: _containers.RepeatedScalarFieldContainer[str]
    volume: int
    previous_volume: int
    week_over_week_change: float
    share: float
    weekly_volumes: _containers.RepeatedScalarFieldContainer[int]
    metrics: MetricSet
    previous_metrics: MetricSet
    drill_down: TicketFilter
    first_seen: _timestamp_pb2.Timestamp
    def __init__(self, issue_id: _Optional[str] = ..., label: _Optional[str] = ..., top_terms: _Optional[_Iterable[str]] = ..., volume: _Optional[int] = ..., previous_volume: _Optional[int] = ..., week_over_week_change: _Optional[float] = ..., share: _Optional[float] = ..., weekly_volumes: _Optional[_Iterable[int]] = ..., metrics: _Optional[_Union[MetricSet, _Mapping]] = ..., previous_metrics: _Optional[_Union[MetricSet, _Mapping]] = ..., drill_down: _Optional[_Union[TicketFilter, _Mapping]] = ..., first_seen: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class IssueChange(_message.Message):
    __slots__ = ("kind", "issue_id", "label", "at", "tickets", "related_issue_id", "related_label", "drill_down")
    KIND_FIELD_NUMBER: _ClassVar[int]
    ISSUE_ID_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    TICKETS_FIELD_NUMBER: _ClassVar[int]
    RELATED_ISSUE_ID_FIELD_NUMBER: _ClassVar[int]
    RELATED_LABEL_FIELD_NUMBER: _ClassVar[int]
    DRILL_DOWN_FIELD_NUMBER: _ClassVar[int]
    kind: str
    issue_id: str
    label: str
    at: _timestamp_pb2.Timestamp
    tickets: int
    related_issue_id: str
    related_label: str
    drill_down: TicketFilter
    def __init__(self, kind: _Optional[str] = ..., issue_id: _Optional[str] = ..., label: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., tickets: _Optional[int] = ..., related_issue_id: _Optional[str] = ..., related_label: _Optional[str] = ..., drill_down: _Optional[_Union[TicketFilter, _Mapping]] = ...) -> None: ...

class DigestMover(_message.Message):
    __slots__ = ("dimension", "value", "label", "metric", "value_now", "value_before", "n", "previous_n", "score", "improved", "drill_down", "p_value", "q_value")
    DIMENSION_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    METRIC_FIELD_NUMBER: _ClassVar[int]
    VALUE_NOW_FIELD_NUMBER: _ClassVar[int]
    VALUE_BEFORE_FIELD_NUMBER: _ClassVar[int]
    N_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_N_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    IMPROVED_FIELD_NUMBER: _ClassVar[int]
    DRILL_DOWN_FIELD_NUMBER: _ClassVar[int]
    P_VALUE_FIELD_NUMBER: _ClassVar[int]
    Q_VALUE_FIELD_NUMBER: _ClassVar[int]
    dimension: str
    value: str
    label: str
    metric: str
    value_now: float
    value_before: float
    n: int
    previous_n: int
    score: float
    improved: bool
    drill_down: TicketFilter
    p_value: float
    q_value: float
    def __init__(self, dimension: _Optional[str] = ..., value: _Optional[str] = ..., label: _Optional[str] = ..., metric: _Optional[str] = ..., value_now: _Optional[float] = ..., value_before: _Optional[float] = ..., n: _Optional[int] = ..., previous_n: _Optional[int] = ..., score: _Optional[float] = ..., improved: _Optional[bool] = ..., drill_down: _Optional[_Union[TicketFilter, _Mapping]] = ..., p_value: _Optional[float] = ..., q_value: _Optional[float] = ...) -> None: ...

class SampleTicket(_message.Message):
    __slots__ = ("external_id", "created_at", "channel", "snippet")
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    SNIPPET_FIELD_NUMBER: _ClassVar[int]
    external_id: str
    created_at: _timestamp_pb2.Timestamp
    channel: str
    snippet: str
    def __init__(self, external_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., channel: _Optional[str] = ..., snippet: _Optional[str] = ...) -> None: ...

class DigestHighlight(_message.Message):
    __slots__ = ("issue_id", "label", "reason", "tickets", "drill_down")
    ISSUE_ID_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    TICKETS_FIELD_NUMBER: _ClassVar[int]
    DRILL_DOWN_FIELD_NUMBER: _ClassVar[int]
    issue_id: str
    label: str
    reason: str
    tickets: _containers.RepeatedCompositeFieldContainer[SampleTicket]
    drill_down: TicketFilter
    def __init__(self, issue_id: _Optional[str] = ..., label: _Optional[str] = ..., reason: _Optional[str] = ..., tickets: _Optional[_Iterable[_Union[SampleTicket, _Mapping]]] = ..., drill_down: _Optional[_Union[TicketFilter, _Mapping]] = ...) -> None: ...

class WeeklyDigest(_message.Message):
    __slots__ = ("tenant_id", "iso_week", "previous_iso_week", "time_zone", "start_time", "end_time", "generated_at", "empty", "metrics", "previous_metrics", "kpis", "days", "top_issues", "active_issues", "unassigned_tickets", "issue_changes", "anomalies", "movers", "highlights", "drill_down", "model_version", "definitions", "sparkline_weeks", "customers")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    ISO_WEEK_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_ISO_WEEK_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    GENERATED_AT_FIELD_NUMBER: _ClassVar[int]
    EMPTY_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_METRICS_FIELD_NUMBER: _ClassVar[int]
    KPIS_FIELD_NUMBER: _ClassVar[int]
    DAYS_FIELD_NUMBER: _ClassVar[int]
    TOP_ISSUES_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_ISSUES_FIELD_NUMBER: _ClassVar[int]
    UNASSIGNED_TICKETS_FIELD_NUMBER: _ClassVar[int]
    ISSUE_CHANGES_FIELD_NUMBER: _ClassVar[int]
    ANOMALIES_FIELD_NUMBER: _ClassVar[int]
    MOVERS_FIELD_NUMBER: _ClassVar[int]
    HIGHLIGHTS_FIELD_NUMBER: _ClassVar[int]
    DRILL_DOWN_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    DEFINITIONS_FIELD_NUMBER: _ClassVar[int]
    SPARKLINE_WEEKS_FIELD_NUMBER: _ClassVar[int]
    CUSTOMERS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    iso_week: str
    previous_iso_week: str
    time_zone: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    generated_at: _timestamp_pb2.Timestamp
    empty: bool
    metrics: MetricSet
    previous_metrics: MetricSet
    kpis: _containers.RepeatedCompositeFieldContainer[DigestKpi]
    days: _containers.RepeatedCompositeFieldContainer[DigestDay]
    top_issues: _containers.RepeatedCompositeFieldContainer[DigestIssue]
    active_issues: int
    unassigned_tickets: int
    issue_changes: _containers.RepeatedCompositeFieldContainer[IssueChange]
    anomalies: _containers.RepeatedCompositeFieldContainer[Anomaly]
    movers: _containers.RepeatedCompositeFieldContainer[DigestMover]
    highlights: _containers.RepeatedCompositeFieldContainer[DigestHighlight]
    drill_down: TicketFilter
    model_version: int
    definitions: _containers.RepeatedCompositeFieldContainer[MetricDefinition]
    sparkline_weeks: _containers.RepeatedScalarFieldContainer[str]
    customers: CustomerInsights
    def __init__(self, tenant_id: _Optional[str] = ..., iso_week: _Optional[str] = ..., previous_iso_week: _Optional[str] = ..., time_zone: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., generated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., empty: _Optional[bool] = ..., metrics: _Optional[_Union[MetricSet, _Mapping]] = ..., previous_metrics: _Optional[_Union[MetricSet, _Mapping]] = ..., kpis: _Optional[_Iterable[_Union[DigestKpi, _Mapping]]] = ..., days: _Optional[_Iterable[_Union[DigestDay, _Mapping]]] = ..., top_issues: _Optional[_Iterable[_Union[DigestIssue, _Mapping]]] = ..., active_issues: _Optional[int] = ..., unassigned_tickets: _Optional[int] = ..., issue_changes: _Optional[_Iterable[_Union[IssueChange, _Mapping]]] = ..., anomalies: _Optional[_Iterable[_Union[Anomaly, _Mapping]]] = ..., movers: _Optional[_Iterable[_Union[DigestMover, _Mapping]]] = ..., highlights: _Optional[_Iterable[_Union[DigestHighlight, _Mapping]]] = ..., drill_down: _Optional[_Union[TicketFilter, _Mapping]] = ..., model_version: _Optional[int] = ..., definitions: _Optional[_Iterable[_Union[MetricDefinition, _Mapping]]] = ..., sparkline_weeks: _Optional[_Iterable[str]] = ..., customers: _Optional[_Union[CustomerInsights, _Mapping]] = ...) -> None: ...

class GetWeeklyDigestResponse(_message.Message):
    __slots__ = ("digest", "markdown", "html")
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    MARKDOWN_FIELD_NUMBER: _ClassVar[int]
    HTML_FIELD_NUMBER: _ClassVar[int]
    digest: WeeklyDigest
    markdown: str
    html: str
    def __init__(self, digest: _Optional[_Union[WeeklyDigest, _Mapping]] = ..., markdown: _Optional[str] = ..., html: _Optional[str] = ...) -> None: ...

class GetCustomerInsightsRequest(_message.Message):
    __slots__ = ("tenant_id", "start_time", "end_time", "top")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    TOP_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    top: int
    def __init__(self, tenant_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., top: _Optional[int] = ...) -> None: ...

class NewCustomerIssue(_message.Message):
    __slots__ = ("issue_id", "label", "new_customer_tickets", "other_tickets", "share_new", "share_other", "lift", "z_score", "p_value", "new_customer_metrics", "evidence_ticket_ids", "drill_down", "q_value")
    ISSUE_ID_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    NEW_CUSTOMER_TICKETS_FIELD_NUMBER: _ClassVar[int]
    OTHER_TICKETS_FIELD_NUMBER: _ClassVar[int]
    SHARE_NEW_FIELD_NUMBER: _ClassVar[int]
    SHARE_OTHER_FIELD_NUMBER: _ClassVar[int]
    LIFT_FIELD_NUMBER: _ClassVar[int]
    Z_SCORE_FIELD_NUMBER: _ClassVar[int]
    P_VALUE_FIELD_NUMBER: _ClassVar[int]
    NEW_CUSTOMER_METRICS_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_TICKET_IDS_FIELD_NUMBER: _ClassVar[int]
    DRILL_DOWN_FIELD_NUMBER: _ClassVar[int]
    Q_VALUE_FIELD_NUMBER: _ClassVar[int]
    issue_id: str
    label: str
    new_customer_tickets: int
    other_tickets: int
    share_new: float
    share_other: float
    lift: float
    z_score: float
    p_value: float
    new_customer_metrics: MetricSet
    evidence_ticket_ids: _containers.RepeatedScalarFieldContainer[str]
    drill_down: TicketFilter
    q_value: float
    def __init__(self, issue_id: _Optional[str] = ..., label: _Optional[str] = ..., new_customer_tickets: _Optional[int] = ..., other_tickets: _Optional[int] = ..., share_new: _Optional[float] = ..., share_other: _Optional[float] = ..., lift: _Optional[float] = ..., z_score: _Optional[float] = ..., p_value: _Optional[float] = ..., new_customer_metrics: _Optional[_Union[MetricSet, _Mapping]] = ..., evidence_ticket_ids: _Optional[_Iterable[str]] = ..., drill_down: _Optional[_Union[TicketFilter, _Mapping]] = ..., q_value: _Optional[float] = ...) -> None: ...

class OutcomeDriver(_message.Message):
    __slots__ = ("kind", "issue_id", "term", "label", "tickets", "with_outcome", "rate", "lift", "z_score", "p_value", "evidence_ticket_ids", "drill_down", "q_value")
    KIND_FIELD_NUMBER: _ClassVar[int]
    ISSUE_ID_FIELD_NUMBER: _ClassVar[int]
    TERM_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    TICKETS_FIELD_NUMBER: _ClassVar[int]
    WITH_OUTCOME_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    LIFT_FIELD_NUMBER: _ClassVar[int]
    Z_SCORE_FIELD_NUMBER: _ClassVar[int]
    P_VALUE_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_TICKET_IDS_FIELD_NUMBER: _ClassVar[int]
    DRILL_DOWN_FIELD_NUMBER: _ClassVar[int]
    Q_VALUE_FIELD_NUMBER: _ClassVar[int]
    kind: str
    issue_id: str
    term: str
    label: str
    tickets: int
    with_outcome: int
    rate: float
    lift: float
    z_score: float
    p_value: float
    evidence_ticket_ids: _containers.RepeatedScalarFieldContainer[str]
    drill_down: TicketFilter
    q_value: float
    def __init__(self, kind: _Optional[str] = ..., issue_id: _Optional[str] = ..., term: _Optional[str] = ..., label: _Optional[str] = ..., tickets: _Optional[int] = ..., with_outcome: _Optional[int] = ..., rate: _Optional[float] = ..., lift: _Optional[float] = ..., z_score: _Optional[float] = ..., p_value: _Optional[float] = ..., evidence_ticket_ids: _Optional[_Iterable[str]] = ..., drill_down: _Optional[_Union[TicketFilter, _Mapping]] = ..., q_value: _Optional[float] = ...) -> None: ...

class CustomerInsights(_message.Message):
    __slots__ = ("tickets", "new_customer_bucket", "tickets_with_tenure", "new_customer_tickets", "new_customer_issues", "praise_tickets", "praise", "trouble_tickets", "minefields", "start_time", "end_time")
    TICKETS_FIELD_NUMBER: _ClassVar[int]
    NEW_CUSTOMER_BUCKET_FIELD_NUMBER: _ClassVar[int]
    TICKETS_WITH_TENURE_FIELD_NUMBER: _ClassVar[int]
    NEW_CUSTOMER_TICKETS_FIELD_NUMBER: _ClassVar[int]
    NEW_CUSTOMER_ISSUES_FIELD_NUMBER: _ClassVar[int]
    PRAISE_TICKETS_FIELD_NUMBER: _ClassVar[int]
    PRAISE_FIELD_NUMBER: _ClassVar[int]
    TROUBLE_TICKETS_FIELD_NUMBER: _ClassVar[int]
    MINEFIELDS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    tickets: int
    new_customer_bucket: str
    tickets_with_tenure: int
    new_customer_tickets: int
    new_customer_issues: _containers.RepeatedCompositeFieldContainer[NewCustomerIssue]
    praise_tickets: int
    praise: _containers.RepeatedCompositeFieldContainer[OutcomeDriver]
    trouble_tickets: int
    minefields: _containers.RepeatedCompositeFieldContainer[OutcomeDriver]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, tickets: _Optional[int] = ..., new_customer_bucket: _Optional[str] = ..., tickets_with_tenure: _Optional[int] = ..., new_customer_tickets: _Optional[int] = ..., new_customer_issues: _Optional[_Iterable[_Union[NewCustomerIssue, _Mapping]]] = ..., praise_tickets: _Optional[int] = ..., praise: _Optional[_Iterable[_Union[OutcomeDriver, _Mapping]]] = ..., trouble_tickets: _Optional[int] = ..., minefields: _Optional[_Iterable[_Union[OutcomeDriver, _Mapping]]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TenantSettings(_message.Message):
    __slots__ = ("tenant_id", "tenure_edges_days", "tenure_buckets", "updated_at", "time_zone", "fcr_variant", "business_hours", "issue_granularity", "retention_days")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    TENURE_EDGES_DAYS_FIELD_NUMBER: _ClassVar[int]
    TENURE_BUCKETS_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    FCR_VARIANT_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_HOURS_FIELD_NUMBER: _ClassVar[int]
    ISSUE_GRANULARITY_FIELD_NUMBER: _ClassVar[int]
    RETENTION_DAYS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    tenure_edges_days: _containers.RepeatedScalarFieldContainer[int]
    tenure_buckets: _containers.RepeatedScalarFieldContainer[str]
    updated_at: _timestamp_pb2.Timestamp
    time_zone: str
    fcr_variant: FcrVariant
    business_hours: BusinessHours
    issue_granularity: IssueGranularity
    retention_days: int
    def __init__(self, tenant_id: _Optional[str] = ..., tenure_edges_days: _Optional[_Iterable[int]] = ..., tenure_buckets: _Optional[_Iterable[str]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., time_zone: _Optional[str] = ..., fcr_variant: _Optional[_Union[FcrVariant, str]] = ..., business_hours: _Optional[_Union[BusinessHours, _Mapping]] = ..., issue_granularity: _Optional[_Union[IssueGranularity, str]] = ..., retention_days: _Optional[int] = ...) -> None: ...

class OpeningHours(_message.Message):
    __slots__ = ("weekdays", "open", "close")
    WEEKDAYS_FIELD_NUMBER: _ClassVar[int]
    OPEN_FIELD_NUMBER: _ClassVar[int]
    CLOSE_FIELD_NUMBER: _ClassVar[int]
    weekdays: _containers.RepeatedScalarFieldContainer[Weekday]
    open: str
    close: str
    def __init__(self, weekdays: _Optional[_Iterable[_Union[Weekday, str]]] = ..., open: _Optional[str] = ..., close: _Optional[str] = ...) -> None: ...

class BusinessHours(_message.Message):
    __slots__ = ("hours", "holidays")
    HOURS_FIELD_NUMBER: _ClassVar[int]
    HOLIDAYS_FIELD_NUMBER: _ClassVar[int]
    hours: _containers.RepeatedCompositeFieldContainer[OpeningHours]
    holidays: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, hours: _Optional[_Iterable[_Union[OpeningHours, _Mapping]]] = ..., holidays: _Optional[_Iterable[str]] = ...) -> None: ...

class GetTenantSettingsRequest(_message.Message):
    __slots__ = ("tenant_id",)
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    def __init__(self, tenant_id: _Optional[str] = ...) -> None: ...

class UpdateTenantSettingsRequest(_message.Message):
    __slots__ = ("settings", "update_mask")
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    settings: TenantSettings
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, settings: _Optional[_Union[TenantSettings, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class ListTenantsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class TenantSummary(_message.Message):
    __slots__ = ("tenant_id", "ticket_count", "first_ticket_at", "last_ticket_at")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    TICKET_COUNT_FIELD_NUMBER: _ClassVar[int]
    FIRST_TICKET_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_TICKET_AT_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    ticket_count: int
    first_ticket_at: _timestamp_pb2.Timestamp
    last_ticket_at: _timestamp_pb2.Timestamp
    def __init__(self, tenant_id: _Optional[str] = ..., ticket_count: _Optional[int] = ..., first_ticket_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_ticket_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListTenantsResponse(_message.Message):
    __slots__ = ("tenants", "next_page_token")
    TENANTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    tenants: _containers.RepeatedCompositeFieldContainer[TenantSummary]
    next_page_token: str
    def __init__(self, tenants: _Optional[_Iterable[_Union[TenantSummary, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DigestSchedule(_message.Message):
    __slots__ = ("tenant_id", "schedule_id", "weekday", "local_time", "time_zone", "channel", "recipients", "webhook_url", "secret", "paused", "next_run_at", "updated_at", "has_secret")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    WEEKDAY_FIELD_NUMBER: _ClassVar[int]
    LOCAL_TIME_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    RECIPIENTS_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_URL_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    NEXT_RUN_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    HAS_SECRET_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    schedule_id: str
    weekday: Weekday
    local_time: str
    time_zone: str
    channel: DeliveryChannel
    recipients: _containers.RepeatedScalarFieldContainer[str]
    webhook_url: str
    secret: str
    paused: bool
    next_run_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    has_secret: bool
    def __init__(self, tenant_id: _Optional[str] = ..., schedule_id: _Optional[str] = ..., weekday: _Optional[_Union[Weekday, str]] = ..., local_time: _Optional[str] = ..., time_zone: _Optional[str] = ..., channel: _Optional[_Union[DeliveryChannel, str]] = ..., recipients: _Optional[_Iterable[str]] = ..., webhook_url: _Optional[str] = ..., secret: _Optional[str] = ..., paused: _Optional[bool] = ..., next_run_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., has_secret: _Optional[bool] = ...) -> None: ...

class PutDigestScheduleRequest(_message.Message):
    __slots__ = ("schedule",)
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    schedule: DigestSchedule
    def __init__(self, schedule: _Optional[_Union[DigestSchedule, _Mapping]] = ...) -> None: ...

class ListDigestSchedulesRequest(_message.Message):
    __slots__ = ("tenant_id",)
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    def __init__(self, tenant_id: _Optional[str] = ...) -> None: ...

class ListDigestSchedulesResponse(_message.Message):
    __slots__ = ("schedules",)
    SCHEDULES_FIELD_NUMBER: _ClassVar[int]
    schedules: _containers.RepeatedCompositeFieldContainer[DigestSchedule]
    def __init__(self, schedules: _Optional[_Iterable[_Union[DigestSchedule, _Mapping]]] = ...) -> None: ...

class DeleteDigestScheduleRequest(_message.Message):
    __slots__ = ("tenant_id", "schedule_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    schedule_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., schedule_id: _Optional[str] = ...) -> None: ...

class DeleteDigestScheduleResponse(_message.Message):
    __slots__ = ("deleted",)
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: bool
    def __init__(self, deleted: _Optional[bool] = ...) -> None: ...

class DigestDelivery(_message.Message):
    __slots__ = ("tenant_id", "schedule_id", "iso_week", "channel", "status", "attempts", "last_error", "due_at", "sent_at", "next_attempt_at")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    ISO_WEEK_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    SENT_AT_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_AT_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    schedule_id: str
    iso_week: str
    channel: DeliveryChannel
    status: DeliveryStatus
    attempts: int
    last_error: str
    due_at: _timestamp_pb2.Timestamp
    sent_at: _timestamp_pb2.Timestamp
    next_attempt_at: _timestamp_pb2.Timestamp
    def __init__(self, tenant_id: _Optional[str] = ..., schedule_id: _Optional[str] = ..., iso_week: _Optional[str] = ..., channel: _Optional[_Union[DeliveryChannel, str]] = ..., status: _Optional[_Union[DeliveryStatus, str]] = ..., attempts: _Optional[int] = ..., last_error: _Optional[str] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sent_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_attempt_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListDigestDeliveriesRequest(_message.Message):
    __slots__ = ("tenant_id", "schedule_id", "page_size", "page_token")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    schedule_id: str
    page_size: int
    page_token: str
    def __init__(self, tenant_id: _Optional[str] = ..., schedule_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDigestDeliveriesResponse(_message.Message):
    __slots__ = ("deliveries", "next_page_token")
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    deliveries: _containers.RepeatedCompositeFieldContainer[DigestDelivery]
    next_page_token: str
    def __init__(self, deliveries: _Optional[_Iterable[_Union[DigestDelivery, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteTicketRequest(_message.Message):
    __slots__ = ("tenant_id", "external_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    external_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., external_id: _Optional[str] = ...) -> None: ...

class DeleteTicketResponse(_message.Message):
    __slots__ = ("deleted",)
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: int
    def __init__(self, deleted: _Optional[int] = ...) -> None: ...

class DeleteCustomerDataRequest(_message.Message):
    __slots__ = ("tenant_id", "customer_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    customer_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., customer_id: _Optional[str] = ...) -> None: ...

class DeleteCustomerDataResponse(_message.Message):
    __slots__ = ("deleted",)
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: int
    def __init__(self, deleted: _Optional[int] = ...) -> None: ...
