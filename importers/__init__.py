"""Source adapters: a feed in, normalised HSDS records out. No database, no Flask."""
