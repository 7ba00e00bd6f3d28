"""The HSDS / Open Referral UK API blueprint."""

from app.api.views import api_blueprint

__all__ = ["api_blueprint"]
