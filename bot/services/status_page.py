"""Client of the product's public status page, and the pure diff that turns two polls into notices.

How it works:
- `StatusPageClient.fetch()` GETs the machine-readable status URL within `budget` seconds (ClientTimeout plus
  `asyncio.timeout`) and returns a `StatusReport`, or None when the page is unreachable, slow, answers non-2xx
  or returns garbage. None means "unknown": the bot carries on as if there were no incident and says nothing wrong.
  The first failure of an outage is logged at WARNING, the following ones at DEBUG, the recovery at INFO.
- Two formats (`fmt`):
  - ``"capgo"``: ``{"indicator": "up", "uptime": "99.98%"}``. Anything but ``"up"`` is a disturbance; the format
    has no incident list, so one synthetic `IncidentInfo` ("Service disruption", status = indicator,
    url = `page_url`) stands for it.
  - ``"statuspage"`` (Atlassian ``/api/v2/summary.json``): ``status.indicator`` none|minor|major|critical and
    ``incidents[]`` (name, status, shortlink, components[].name). Only unresolved incidents are kept (status not
    resolved/postmortem). A non-"none" indicator without any unresolved incident (a degraded component) yields
    the synthetic incident, listing the components that are not operational.
- `diff_incidents(previous, current)` returns the incidents that started and those that were resolved, so staff
  get one notice per incident (not one per message) and affected threads are told once it is resolved.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import aiohttp

log = logging.getLogger(__name__)

StatusFormat = Literal["capgo", "statuspage"]
SYNTHETIC_INCIDENT_NAME = "Service disruption"
RESOLVED_STATUSES = frozenset({"resolved", "postmortem"})
MAX_BODY_BYTES = 2_000_000


@dataclass(frozen=True)
class IncidentInfo:
    """One ongoing incident: name, status (investigating, identified... or the capgo indicator), link, components."""

    name: str
    status: str
    url: str
    components: tuple[str, ...]


@dataclass(frozen=True)
class StatusReport:
    """The status page at `checked_at` (UTC): `ok` is False while anything is disturbed."""

    ok: bool
    indicator: str
    incidents: tuple[IncidentInfo, ...]
    checked_at: datetime


class StatusPageError(Exception):
    """Internal: the status page answered something that is not a status report."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


class StatusPageClient:
    """Poll a status page in the "capgo" or "statuspage" format; `fetch()` never raises for network or format issues."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        fmt: StatusFormat,
        *,
        page_url: str | None = None,
        budget: float = 3.0,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        if fmt not in ("capgo", "statuspage"):
            raise ValueError("fmt must be 'capgo' or 'statuspage'")
        if budget <= 0:
            raise ValueError("budget must be > 0")
        self._session = session
        self.url = url
        self.fmt: StatusFormat = fmt
        # The human page linked from notices (e.g. https://status.capgo.app/); defaults to the polled URL.
        self.page_url = page_url or url
        self.budget = budget
        self._clock = clock
        self._down = False

    @property
    def reachable(self) -> bool:
        """Return False while the last fetch failed (an outage of the status page itself)."""
        return not self._down

    async def fetch(self) -> StatusReport | None:
        """Return the current `StatusReport`, or None if the page is unreachable, slow or returns garbage."""
        try:
            data = await self._get_json()
            report = self.parse(data)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            self._failed(f"unreachable ({type(exc).__name__})")
            return None
        except StatusPageError as exc:
            self._failed(str(exc))
            return None
        if self._down:
            self._down = False
            log.info("status page %s reachable again", self.url)
        return report

    def parse(self, data: Any) -> StatusReport:
        """Return the report for decoded JSON `data` in this client's format; raise StatusPageError on garbage."""
        checked_at = self._clock()
        if self.fmt == "capgo":
            return parse_capgo(data, page_url=self.page_url, checked_at=checked_at)
        return parse_statuspage(data, page_url=self.page_url, checked_at=checked_at)

    async def _get_json(self) -> Any:
        async with (
            asyncio.timeout(self.budget),
            self._session.get(
                self.url, headers={"Accept": "application/json"}, timeout=aiohttp.ClientTimeout(total=self.budget)
            ) as resp,
        ):
            if resp.status != 200:
                raise StatusPageError(f"HTTP {resp.status}")
            chunks: list[bytes] = []
            size = 0
            async for chunk in resp.content.iter_chunked(65536):
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise StatusPageError("body too large")
                chunks.append(chunk)
        body = b"".join(chunks)
        try:
            return json.loads(body)
        except (UnicodeDecodeError, ValueError) as exc:
            raise StatusPageError("body is not JSON") from exc

    def _failed(self, reason: str) -> None:
        if self._down:
            log.debug("status page %s still failing: %s", self.url, reason)
            return
        self._down = True
        log.warning("status page %s failed: %s; assuming no incident until it answers again", self.url, reason)


def parse_capgo(data: Any, *, page_url: str, checked_at: datetime) -> StatusReport:
    """Return the report for a Capgo ``{"indicator": "up", "uptime": "99.98%"}`` document."""
    if not isinstance(data, dict):
        raise StatusPageError("capgo status is not an object")
    indicator = data.get("indicator")
    if not isinstance(indicator, str) or not indicator:
        raise StatusPageError("capgo status has no indicator")
    if "uptime" in data and not isinstance(data["uptime"], str | int | float):
        raise StatusPageError("capgo uptime has the wrong type")
    ok = indicator == "up"
    incidents = () if ok else (IncidentInfo(SYNTHETIC_INCIDENT_NAME, indicator, page_url, ()),)
    return StatusReport(ok=ok, indicator=indicator, incidents=incidents, checked_at=checked_at)


def parse_statuspage(data: Any, *, page_url: str, checked_at: datetime) -> StatusReport:
    """Return the report for an Atlassian Statuspage ``/api/v2/summary.json`` document (unresolved incidents)."""
    if not isinstance(data, dict):
        raise StatusPageError("summary is not an object")
    status = data.get("status")
    if not isinstance(status, dict) or not isinstance(status.get("indicator"), str) or not status["indicator"]:
        raise StatusPageError("summary has no status.indicator")
    indicator: str = status["indicator"]
    raw_incidents = data.get("incidents", [])
    if not isinstance(raw_incidents, list):
        raise StatusPageError("summary incidents is not a list")
    incidents = [
        incident
        for incident in (_statuspage_incident(raw, page_url) for raw in raw_incidents)
        if incident.status not in RESOLVED_STATUSES
    ]
    if indicator != "none" and not incidents:
        incidents.append(IncidentInfo(SYNTHETIC_INCIDENT_NAME, indicator, page_url, _degraded_components(data)))
    ok = indicator == "none" and not incidents
    return StatusReport(ok=ok, indicator=indicator, incidents=tuple(incidents), checked_at=checked_at)


def _statuspage_incident(raw: Any, page_url: str) -> IncidentInfo:
    if not isinstance(raw, dict):
        raise StatusPageError("incident is not an object")
    name, status = raw.get("name"), raw.get("status")
    if not isinstance(name, str) or not isinstance(status, str):
        raise StatusPageError("incident without name or status")
    link = raw.get("shortlink")
    if link is not None and not isinstance(link, str):
        raise StatusPageError("incident shortlink is not a string")
    components = raw.get("components") or []
    if not isinstance(components, list):
        raise StatusPageError("incident components is not a list")
    names = []
    for component in components:
        if not isinstance(component, dict) or not isinstance(component.get("name"), str):
            raise StatusPageError("incident component without a name")
        names.append(component["name"])
    return IncidentInfo(name=name, status=status, url=link or page_url, components=tuple(names))


def _degraded_components(data: dict[str, Any]) -> tuple[str, ...]:
    components = data.get("components")
    if not isinstance(components, list):
        return ()
    return tuple(
        component["name"]
        for component in components
        if isinstance(component, dict)
        and isinstance(component.get("name"), str)
        and component.get("status") not in (None, "operational")
    )


def _key(incident: IncidentInfo) -> tuple[str, str]:
    # Status changes (investigating -> identified) are the same incident; name + link identify it.
    return (incident.name, incident.url)


def diff_incidents(
    previous: StatusReport | None, current: StatusReport | None
) -> tuple[list[IncidentInfo], list[IncidentInfo]]:
    """Return (started, resolved) incidents between two polls.

    `current` None (status page unknown) changes nothing: ([], []). Callers should therefore keep the last
    non-None report as `previous`. `previous` None (first poll) reports every current incident as started.
    An incident is identified by name and url; a change of its status alone is neither a start nor a resolution.
    """
    if current is None:
        return [], []
    before = {_key(incident) for incident in previous.incidents} if previous is not None else set()
    after = {_key(incident) for incident in current.incidents}
    started = [incident for incident in current.incidents if _key(incident) not in before]
    resolved = [incident for incident in previous.incidents if _key(incident) not in after] if previous else []
    return started, resolved
