"""Search: documents, backends and the filters they index (geo-search arrives with issue 4)."""
