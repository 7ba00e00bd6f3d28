"""The only layer that writes. Functions take a Session, flush, and never commit."""
