"""The web pages for the sales head and the managers (inboxbot web): an edge like run and tools."""
