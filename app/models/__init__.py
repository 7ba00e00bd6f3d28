"""Typed SQLAlchemy models. Importing this package registers every table on ``Base.metadata``."""

from app.models import geo, linkage, scheduler, search, staging
from app.models.base import Base
from app.models.hsds import HSDS_MODELS

__all__ = ["HSDS_MODELS", "Base", "geo", "linkage", "scheduler", "search", "staging"]
