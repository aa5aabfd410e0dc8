"""Pull tickets from helpdesk APIs: one small source per vendor behind `HelpdeskSource`.

A source turns the vendor's pages into importer items and names, per page, the
cursor to store once that page is stored; `services.helpdesk_sync` does the storing.
"""
