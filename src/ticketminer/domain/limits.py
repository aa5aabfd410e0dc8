"""The defaults of every resource limit, in one place (the README's limits table
mirrors it). Most are settings (config.py); the rest are fixed by the wire protocol.

Kept free of imports, so the CLI and the settings load it without the service.
"""

from __future__ import annotations

# Settings (--max-id-bytes ...): what a request or the data may hold.
MAX_TEXT_BYTES = 64 * 1024  # a subject, description, message body or attribute value
MAX_ID_BYTES = 256  # a tenant, ticket or customer id, a channel, tag or attribute key
MAX_LIST_ITEMS = 1000  # entries in a list or map of a request, outside a ticket
MAX_SERIES_POINTS = 50_000  # groups x buckets in one GetMetrics answer (~10 MB)
MAX_ATTRIBUTE_COLUMNS = 64  # attribute columns kept in memory per tenant, LRU
ROOTCAUSE_MAX_ATTRIBUTES = 12  # attribute keys a root-cause search may name
ROOTCAUSE_MAX_CELLS = 10_000_000  # root-cause lattice cells (combinations x leaves)

# Fixed: a default gRPC client refuses trailers over 8 KiB, and a response must stay
# under the send limit.
MAX_TOKEN_BYTES = 1024  # a page token
MAX_ERROR_DETAIL_BYTES = 4096  # field violations in an error's trailer, then "and N more"
MAX_REPORTED_ERRORS = 1000  # rejected items listed in a stream report
MAX_ITEM_VIOLATIONS = 10  # field violations listed per rejected item
RESPONSE_SHARE = 0.75  # of --max-message-bytes that a ticket listing may fill
