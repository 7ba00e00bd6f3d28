"""Server-rendered pages."""

from app.web.views import web_blueprint

__all__ = ["web_blueprint"]
