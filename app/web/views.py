"""Pages for people. For now: the front page pointing at the API and its docs."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from sqlalchemy import func, select

from app import db
from app.models.hsds import Organization, Service

web_blueprint = Blueprint("web", __name__, template_folder="templates")


@web_blueprint.get("/")
def home() -> str:
    session = db.session()
    counts = {
        "services": session.execute(select(func.count()).select_from(Service)).scalar_one(),
        "organizations": session.execute(select(func.count()).select_from(Organization)).scalar_one(),
    }
    return render_template("home.html", counts=counts, api=current_app.config["WAYMARK"].api_prefix)
