"""The HSDS / Open Referral UK API blueprint, and the maintainers' blueprint with its linkage endpoints."""

from app.api.linkage import linkage_blueprint
from app.api.maintainer import maintainer_blueprint
from app.api.views import api_blueprint

# Under /api/maintainer/linkage, so the WAYMARK_MAINTAINER_API switch covers them too.
maintainer_blueprint.register_blueprint(linkage_blueprint, url_prefix="/linkage")

__all__ = ["api_blueprint"]
