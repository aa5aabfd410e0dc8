"""Readers that turn ticket files and public data sets into domain `Ticket`s.

Importers only check the wire format; the service validates what they yield, so
a file import and an API call reject exactly the same tickets.
"""

from ticketminer.importers.records import ImportItem, RowError
from ticketminer.importers.servicenow import read_servicenow
from ticketminer.importers.ticket_files import read_ticket_file

__all__ = ["ImportItem", "RowError", "read_servicenow", "read_ticket_file"]
