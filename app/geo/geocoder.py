"""An optional address geocoder (geopy) for locations that have no postcode.

Off by default: Waymark never calls a public web service on its own. An operator
points it at a Nominatim, Photon or Pelias server they run or are allowed to use
(WAYMARK_GEOCODER, WAYMARK_GEOCODER_URL). Calls are rate-limited and cached for the
life of the process; results also persist in the staged record, so an unchanged
record is never geocoded twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import Nominatim, Pelias, Photon

KINDS = ("nominatim", "photon", "pelias")


def from_settings(settings: Any) -> AddressGeocoder | None:
    """The geocoder the settings ask for, or None when none is configured."""
    if not settings.geocoder:
        return None
    return AddressGeocoder(settings.geocoder, settings.geocoder_url, settings.geocoder_min_delay_ms / 1000)


@dataclass(frozen=True)
class Place:
    latitude: float
    longitude: float
    label: str


class AddressGeocoder:
    """Address text -> Place, through a configured geopy geocoder."""

    def __init__(self, kind: str, url: str, min_delay: float = 1.0, user_agent: str = "waymark-directory",
                 timeout: float = 10.0):
        if kind not in KINDS:
            raise ValueError(f"WAYMARK_GEOCODER must be one of {', '.join(KINDS)} (or empty), not {kind!r}")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"WAYMARK_GEOCODER_URL must be an http(s) URL, not {url!r}")
        domain = parts.netloc + parts.path.rstrip("/")
        options: dict[str, Any] = {"scheme": parts.scheme, "user_agent": user_agent, "timeout": timeout}
        geocoder = Pelias(domain, **options) if kind == "pelias" else (
            Nominatim(domain=domain, **options) if kind == "nominatim" else Photon(domain=domain, **options))
        self._lookup: Callable[..., Any] = RateLimiter(geocoder.geocode, min_delay_seconds=min_delay,
                                                       max_retries=2, swallow_exceptions=True)
        self._cache: dict[str, Place | None] = {}

    def locate(self, address: str) -> Place | None:
        key = " ".join(address.lower().split())
        if key not in self._cache:
            found = self._lookup(address, exactly_one=True)
            self._cache[key] = None if found is None else Place(found.latitude, found.longitude, found.address)
        return self._cache[key]
