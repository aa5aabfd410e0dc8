"""Freshdesk's CSV ticket export (Tickets > Export, emailed as a CSV; Freshdesk's
help article "Exporting tickets", and the export code in Freshdesk's published
helpkit source, e.g. github.com/Ramesh-Veeriaperumal/freshconsult
lib/helpdesk/ticket_model_extension.rb and lib/export/ticket.rb).

Columns: Ticket ID, Subject, Description, Status, Priority, Source, Type, Agent,
Group, Created time, Due by Time, Resolved time, Closed time, Last update time,
Initial response time, Time tracked, First response time (in hrs), Resolution time
(in hrs), Agent interactions, Customer interactions, Resolution status, First
response status, Tags, Survey results, Skill, Product, then the chosen contact
columns (Full name, Contact ID, Email, ...) and company columns (Company Name, ...),
and custom ticket fields under their labels.

What the source says, and the choices it drives:

- Times are `%F %T` (`2026-03-02 09:00:00`) in the exporting agent's time zone, with
  no offset: pass that zone with `--tz`.
- `Initial response time` is the time of the first agent response; first response
  is it minus `Created time`, in calendar time like the rest of the metrics.
  `First response time (in hrs)` is left out by default: Freshdesk fills it from the
  business-hours figure (`first_resp_time_by_bhrs`, as HH:MM:SS) and writes
  00:00:00 for an unanswered ticket. Map it with
  `--field-map "First response time (in hrs)=reported.first_response_hours"` when an
  export has no `Initial response time` column (it needs SLA management).
- `Agent interactions` is the ticket's outbound count (agent replies): it becomes
  `reported.public_agent_replies`.
- `Survey results` is the text of the latest rating's answer: the classic survey's
  Awesome / Just Okay / Not Good (5 / 3 / 1) or a custom survey's Extremely Happy ...
  Extremely Unhappy scale (5 ... 1); see importers.values.CSAT_WORDS.
- Tags are joined with commas. Status: Open, Pending, Resolved (solved), Closed,
  Waiting on Customer (pending), Waiting on Third Party (on hold).
- solved_at = Resolved time, else Closed time. customer_id = Contact ID, else Email.
  The export has no reopen count, so reopen_count stays 0 (the reopen rate of a
  Freshdesk import is unknown, not zero; say so where it is shown).
- attributes: priority, type, agent, group, product, company. Custom ticket fields
  carry no marker in the header: map them with `--field-map "Label=attributes.key"`.
"""

from __future__ import annotations

from ticketminer.importers.vendor_csv import CsvLayout, export_reader

COLUMNS: dict[str, str] = {
    "Ticket ID": "external_id",
    "Contact ID": "customer_id",
    "Email": "customer_id",
    "Subject": "subject",
    "Description": "description",
    "Status": "status",
    "Priority": "attributes.priority",
    "Source": "channel",
    "Type": "attributes.type",
    "Agent": "attributes.agent",
    "Group": "attributes.group",
    "Product": "attributes.product",
    "Company Name": "attributes.company",
    "Created time": "created_at",
    "Last update time": "updated_at",
    "Last updated time": "updated_at",
    "Resolved time": "solved_at",
    "Closed time": "closed_at",
    "Initial response time": "first_response_at",
    "Agent interactions": "reported.public_agent_replies",
    "Survey results": "csat",
    "Tags": "tags",
}

LAYOUT = CsvLayout(
    name="Freshdesk CSV",
    columns=COLUMNS,
    signature=("ticket id", "created time", "status"),
    tag_separators=",",
)


read_freshdesk_csv = export_reader(LAYOUT)
