"""The UK postcode table (loaded by ``waymark postcodes load``)."""

from __future__ import annotations

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class Postcode(Base):
    """One UK postcode: where it is and which local authority it belongs to."""

    __tablename__ = "postcode"

    postcode: Mapped[str] = mapped_column(String(8), primary_key=True)  # normalised, e.g. "LS6 4AB"
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    local_authority: Mapped[str | None] = mapped_column(String(9), index=True)  # ONS code, e.g. E08000035
    country: Mapped[str | None] = mapped_column(String(9))  # ONS country code, e.g. E92000001
    terminated: Mapped[bool] = mapped_column(default=False)
