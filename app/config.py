"""Every Waymark setting, once, with its default and meaning.

Each field can be overridden by an environment variable named ``WAYMARK_`` plus the
field name in upper case (``database_url`` -> ``WAYMARK_DATABASE_URL``), or by the
mapping passed to ``create_app(config=...)``. ``waymark config`` prints the table.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

ENV_PREFIX = "WAYMARK_"


def setting(default: Any, doc: str) -> Any:
    return field(default=default, metadata={"doc": doc})


@dataclass(frozen=True)
class Settings:
    instance_path: str = setting(
        "instance", "Folder for local state: the default SQLite database lives here.")
    database_url: str = setting(
        "", "SQLAlchemy URL of the directory database. Empty means "
        "`sqlite:///<instance_path>/waymark.db`; use `postgresql+psycopg://user@host/db` for PostgreSQL.")
    host: str = setting("127.0.0.1", "Interface `waymark serve` listens on.")
    port: int = setting(5000, "Port `waymark serve` listens on.")
    workers: int = setting(1, "Web worker processes for `waymark serve` (more than 1 uses gunicorn).")
    api_prefix: str = setting("/api", "Where the HSDS / ORUK API is mounted.")
    public_url: str = setting(
        "", "External base URL (e.g. `https://directory.example.org`) used in links such as "
        "`openapi_url`. Empty means the URL of the incoming request.")
    per_page_default: int = setting(50, "Page size when a client gives no `per_page`.")
    per_page_max: int = setting(200, "Largest `per_page` a client may ask for; more is a 400.")
    hsds_profile_url: str = setting(
        "https://github.com/OpenReferralUK/uk-profile/blob/main/docs/index.md",
        "Profile URL announced by `GET /api/`.")
    maintainer_api: bool = setting(
        False, "Serve the maintainers' JSON endpoints (`/api/maintainer/...`: sources, harvest runs, "
        "quarantine). They have no authentication yet: keep off on public deployments.")
    geocoder: str = setting(
        "", "Address geocoder for locations with no postcode: `nominatim`, `photon` or `pelias`. Empty (the "
        "default) means none: Waymark calls no outside service unless told to.")
    geocoder_url: str = setting("", "Base URL of that geocoder's server, e.g. `http://nominatim.internal:8080`.")
    geocoder_min_delay_ms: int = setting(1000, "Least time between two geocoder requests, in milliseconds.")
    search_backend: str = setting(
        "sql", "Search index: `sql` (in the directory database: FTS5 and R*Tree on SQLite, tsvector and "
        "PostGIS on PostgreSQL) or `elasticsearch` (needs `elasticsearch_url`).")
    elasticsearch_url: str = setting("", "Elasticsearch server for `search_backend=elasticsearch`, "
                                     "e.g. `http://localhost:9200`.")
    elasticsearch_index: str = setting(
        "waymark", "Name of the Elasticsearch alias searched; each rebuild makes a new index behind it.")
    search_default_proximity: int = setting(
        16_000, "Radius in metres of a search near a point when the client gives no `proximity` "
        "(and no `coverage=true`). Nearest-first with no radius lists far-away services as if they were near.")
    search_max_proximity: int = setting(
        200_000, "Largest radius in metres a search may ask for; a larger `proximity` is capped to this "
        "and the response says so.")
    linkage_auto_merge: int = setting(
        90, "Match probability, in percent, at or above which `waymark linkage run` merges two records without "
        "asking (the auto-merge band).")
    linkage_review: int = setting(
        20, "Match probability, in percent, from which a pair goes to the review queue (below `linkage_auto_merge`); "
        "below it records are kept apart.")
    linkage_trust: str = setting(
        "", "Which sources a golden record believes first, per field group: `GROUP=SOURCE>SOURCE; ...`, e.g. "
        "`clinical=nhs-list; addresses=council>nhs-list; legal=charity-register; descriptions=cvs`. Groups: names, "
        "legal, descriptions, clinical, contact, addresses, times, other. Unlisted sources come after the listed "
        "ones; ties go to the most recently verified record, then a valid format, then the most complete value.")
    linkage_max_block: int = setting(
        100, "Largest block linkage compares all pairs within; bigger blocks (a shared phone, a common name word) "
        "are skipped for that key.")
    linkage_incremental_share: int = setting(
        10, "A linkage run compares again only the pairs of changed records (scoring them with the last fitted model) "
        "while at most this percentage of an entity's records changed; above it, it refits on all pairs.")
    linkage_after_harvest: bool = setting(
        True, "Run linkage after `waymark harvest` and after each scheduled harvest (skipped when nothing changed).")
    linkage_interval_minutes: int = setting(
        60, "The scheduler also runs linkage this often, in minutes (0: only after harvests); a run with nothing "
        "new to link only checks and stops.")
    sql_echo: bool = setting(False, "Log every SQL statement (debugging only).")
    log_level: str = setting("INFO", "Python logging level.")

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        path = Path(self.instance_path).resolve() / "waymark.db"
        return f"sqlite:///{path}"

    @classmethod
    def load(cls, overrides: Mapping[str, Any] | None = None,
             environ: Mapping[str, str] | None = None) -> Settings:
        """Defaults, then ``WAYMARK_*`` environment variables, then ``overrides``."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if raw is not None:
                values[f.name] = _coerce(f, raw)
        for key, value in (overrides or {}).items():
            if key not in {f.name for f in fields(cls)}:
                raise ValueError(f"unknown Waymark setting {key!r}")
            values[key] = value
        return cls(**values)

    @classmethod
    def documentation(cls) -> list[tuple[str, str, str]]:
        """(environment variable, default, meaning) for every setting."""
        return [(ENV_PREFIX + f.name.upper(), repr(f.default) if f.default != "" else "(empty)",
                 f.metadata["doc"]) for f in fields(cls)]


def _coerce(f: dataclasses.Field[Any], raw: str) -> Any:
    kind: type = type(f.default)
    name = ENV_PREFIX + f.name.upper()
    if kind is bool:
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off", ""):
            return False
        raise ValueError(f"{name} must be true or false, not {raw!r}")
    if kind is int:
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"{name} must be a whole number, not {raw!r}") from None
    return raw
