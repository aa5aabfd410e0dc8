"""Zendesk Support's CSV ticket export (Admin Center > Account > Tools > Reports >
Export > CSV; https://support.zendesk.com/hc/en-us/articles/4408886165402).

The export has one row per ticket and no comments, so the thread's facts come from
the ticket metrics columns: `Replies` (public agent replies) and `First reply time in
minutes` (calendar minutes) become `Ticket.reported`, which the metrics use while a
ticket has no messages. Column names follow the export's header as documented and as
written by Zendesk's own export (Id, Requester, Requester id, Requester external id,
Requester email, Assignee, Group, Subject, Tags, Status, Priority, Via, Ticket type,
Created at, Updated at, Assigned at, Organization, Due date, Initially assigned at,
Solved at, Resolution time, Satisfaction Score, Group stations, Assignee stations,
Reopens, Replies, First reply time in minutes [within business hours], First /
Full resolution time in minutes [within business hours], Agent / Requester wait
time in minutes, On hold time in minutes, then one column per custom field
written `Title [type]`, e.g. `Product [list]`).

Choices:

- Times are written without a UTC offset, in the account's time zone: pass it with
  `--tz` (times that carry an offset are taken as written).
- Tags are separated by spaces (a Zendesk tag cannot hold a space or a comma).
- Satisfaction Score: Good -> 5, Bad -> 1; Offered / Unoffered leave csat unset.
- Status: new, open, pending, hold, solved, closed.
- customer_id: Requester id, else Requester external id, else Requester email.
- first_solved_at = Created at + First resolution time in minutes (capped at Solved
  at); solved_at = Solved at, else Created at + Full resolution time for a solved
  ticket. The business-hours columns are left out: the service computes business
  time itself from a tenant's calendar.
- attributes: priority, type, group, assignee, organization, and every custom field
  (`Product [list]` -> `product`). Requester names, wait times and stations are
  ignored; `--dry-run` lists what is ignored, `--field-map` maps more.
"""

from __future__ import annotations

import re

from ticketminer.importers.vendor_csv import CsvLayout, export_reader

COLUMNS: dict[str, str] = {
    "Id": "external_id",
    "Requester id": "customer_id",
    "Requester external id": "customer_id",
    "Requester email": "customer_id",
    "Subject": "subject",
    "Tags": "tags",
    "Status": "status",
    "Priority": "attributes.priority",
    "Via": "channel",
    "Ticket type": "attributes.type",
    "Group": "attributes.group",
    "Assignee": "attributes.assignee",
    "Organization": "attributes.organization",
    "Created at": "created_at",
    "Updated at": "updated_at",
    "Solved at": "solved_at",
    "Satisfaction Score": "csat",
    "Reopens": "reopen_count",
    "Replies": "reported.public_agent_replies",
    "First reply time in minutes": "reported.first_response_minutes",
    "First resolution time in minutes": "first_resolution_minutes",
    "Full resolution time in minutes": "full_resolution_minutes",
}

_CUSTOM_FIELD = re.compile(r"^(.+?)\s*\[[a-z_]+\]$")
_NOT_KEY = re.compile(r"[^\w]+")


def custom_field_key(column: str) -> str | None:
    """`Product [list]` -> `product`; None for a column that is no custom field."""
    match = _CUSTOM_FIELD.match(column)
    if match is None:
        return None
    return _NOT_KEY.sub("_", match.group(1).strip().lower()).strip("_") or None


LAYOUT = CsvLayout(
    name="Zendesk CSV",
    columns=COLUMNS,
    signature=("id", "created at", "status"),
    tag_separators=" ,",
    custom_field=custom_field_key,
)


read_zendesk_csv = export_reader(LAYOUT)
