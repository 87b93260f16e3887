"""Loaded reference data: the client base, holdings, VIP, company names, the gazetteer."""
