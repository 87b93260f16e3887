"""The typed, frozen rules a loaded rules.toml becomes: managers, the department, the
territory, absences, the pool, the [[rule]] list, follow-ups, acknowledgements and the report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

from inboxbot.directory.clients import ClientBase
from inboxbot.directory.holdings import Group
from inboxbot.directory.vip import VipEntry
from inboxbot.model.worktime import WorkingHours
from inboxbot.rules.options import ConditionOptions

OWN_LOOP_HEADER = "X-Inboxbot"

POOL_METHODS = ("round_robin", "weighted", "least_loaded")
# Bounds that keep arithmetic sane (a window of 10**30 days overflows a timedelta).
MAX_WEIGHT = 100
MAX_WINDOW_DAYS = 3660
DEFAULT_HOURS = WorkingHours(time(9), time(18), (0, 1, 2, 3, 4), ZoneInfo("Europe/Moscow"))
WEEKDAYS: dict[str, int] = {
    "пн": 0, "вт": 1, "ср": 2, "чт": 3, "пт": 4, "сб": 5, "вс": 6,
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
}  # fmt: skip



@dataclass(frozen=True, slots=True)
class Manager:
    id: str
    name: str
    email: str
    forms: tuple[str, ...]
    in_pool: bool = False
    weight: float = 1.0
    daily_cap: int | None = None
    monthly_cap: int | None = None
    duty: tuple[int, ...] = ()  # weekdays 0=Monday; empty = every day
    line: int = 0
    phone: str = ""  # shown to the client in the acknowledgement

    @property
    def surname(self) -> str:
        return self.name.split()[0] if self.name.split() else self.id


@dataclass(frozen=True, slots=True)
class Department:
    name: str
    timezone: ZoneInfo
    internal_domains: tuple[str, ...]
    shared_addresses: tuple[str, ...]
    bot_address: str
    loop_headers: tuple[str, ...]
    head: str
    free_mail_domains: tuple[str, ...]
    backup_chain: bool = True  # a backup also away → their backup (True) or the head (False)
    hours: WorkingHours = DEFAULT_HOURS
    # Who vouches for the sender of a mail command (mail/authentication.py): the
    # authserv-id our receiving server writes in Authentication-Results ("": the topmost
    # header), and the company's own relays (host name or IP address).
    auth_server: str = ""
    relays: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Territory:
    districts: Mapping[str, str]  # district code → manager
    regions: Mapping[str, str]  # two-digit region code → manager (overrides districts)
    cities: Mapping[str, str]  # city name → manager (overrides regions)
    foreign: str | None


@dataclass(frozen=True, slots=True)
class Absence:
    manager: str
    start: date
    end: date  # inclusive
    backup: str
    reason: str = "отсутствует"
    line: int = 0

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class Pool:
    name: str
    members: tuple[str, ...]
    method: str = "round_robin"
    window_days: int = 30


@dataclass(frozen=True, slots=True)
class RuleSpec:
    id: str
    when: str
    action: str
    options: ConditionOptions  # the condition's own typed options (route.conditions declares them)
    line: int = 0
    enabled: bool = True
    acknowledge: bool | None = None  # None: as [acknowledge] enabled says



ESCALATIONS = ("head", "reassign")
REPORT_PERIODS = ("day", "week", "off")


@dataclass(frozen=True, slots=True)
class FollowUp:
    """What happens to a forwarded request nobody answers: a reminder to its manager
    after `remind_after` of working time, then (after `escalate_after`) a mail to the
    head, or the request handed to `reassign_to` ("pool" or a manager id)."""

    remind_after: timedelta
    escalate_after: timedelta | None
    escalate: str  # one of ESCALATIONS
    reassign_to: str = "pool"


@dataclass(frozen=True, slots=True)
class Acknowledge:
    """The client's confirmation that the request reached a manager. `enabled` is the
    default for rules that do not say `acknowledge = …` themselves."""

    enabled: bool
    sender: str  # the From address: the shared address clients wrote to


@dataclass(frozen=True, slots=True)
class ReportSchedule:
    """When the distribution report goes out, and to whom (manager ids)."""

    every: str  # "day" | "week"
    at: time
    weekday: int  # for "week": 0 = Monday
    to: tuple[str, ...]
    skipped_digest: bool = False  # the head's daily digest of skipped mail (run/skipped.py)


@dataclass(frozen=True)
class Rules:
    path: Path
    department: Department
    managers: Mapping[str, Manager]
    rules: tuple[RuleSpec, ...]
    territory: Territory
    absences: tuple[Absence, ...]
    pool: Pool | None
    clients: ClientBase
    groups: tuple[Group, ...]
    vip: tuple[VipEntry, ...]
    templates_dir: Path | None
    fingerprint: str
    warnings: tuple[str, ...] = ()
    source_files: tuple[Path, ...] = ()
    # manager id → (normalised token sets of each form, the form as written)
    name_forms: Mapping[str, tuple[tuple[tuple[frozenset[str], ...], str], ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    followup: FollowUp | None = None
    acknowledge: Acknowledge | None = None
    report: ReportSchedule | None = None

    def acknowledges(self, rule_id: str) -> bool:
        """Whether a request forwarded by rule `rule_id` gets an acknowledgement."""
        if self.acknowledge is None:
            return False
        spec = next((s for s in self.rules if s.id == rule_id), None)
        if spec is not None and spec.acknowledge is not None:
            return spec.acknowledge
        return self.acknowledge.enabled

    def absence_on(self, manager: str, day: date) -> Absence | None:
        for absence in self.absences:
            if absence.manager == manager and absence.covers(day):
                return absence
        return None

    def manager_name(self, manager_id: str | None) -> str:
        """The surname used in reasons ("→ Иванова"); the id when unknown."""
        if manager_id is None:
            return "—"
        manager = self.managers.get(manager_id)
        return manager.surname if manager else manager_id


def absence_chain(rules: Rules, manager: str, day: date) -> tuple[str, list[Absence]]:
    """Who stands in for `manager` on `day`: the backup, the backup's backup while they
    are away too, the department head when the chain runs out or loops."""
    chain: list[Absence] = []
    current = manager
    seen = {manager}
    while (absence := rules.absence_on(current, day)) is not None:
        chain.append(absence)
        nxt = absence.backup
        if nxt in seen or (len(chain) > 1 and not rules.department.backup_chain):
            return rules.department.head, chain
        seen.add(nxt)
        current = nxt
    return current, chain


def day_in(rules: Rules, moment: datetime | None) -> date | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=rules.department.timezone)
    return moment.astimezone(rules.department.timezone).date()

def window_start(moment: datetime, days: int) -> datetime:
    return moment - timedelta(days=days)

