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
from inboxbot.model.roster import Roster
from inboxbot.model.worktime import WorkingHours
from inboxbot.rules.options import ConditionOptions

OWN_LOOP_HEADER = "X-Inboxbot"

POOL_METHODS = ("round_robin", "weighted", "least_loaded")
# rolling: the last window_days days; month: the calendar month in the department's time zone.
POOL_PERIODS = ("rolling", "month")
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
    """A manager away from `start` (from `start_time` that day, when given) to `end`
    inclusive (until `end_time` that day, when given); times are the department's."""

    manager: str
    start: date
    end: date  # inclusive: the last day the absence touches
    backup: str
    reason: str = "отсутствует"
    line: int = 0
    start_time: time | None = None  # None: from the start of `start`
    end_time: time | None = None  # None: to the end of `end`; else back at this time

    def covers(self, day: date) -> bool:
        """Whether the absence touches `day` (for day-level questions: shares, reports)."""
        return self.start <= day <= self.end

    @property
    def begins(self) -> datetime:
        """The first moment away, naive in the department's time zone."""
        return datetime.combine(self.start, self.start_time or time.min)

    @property
    def ends(self) -> datetime:
        """The first moment back, naive in the department's time zone."""
        if self.end_time is not None:
            return datetime.combine(self.end, self.end_time)
        return datetime.combine(self.end + timedelta(days=1), time.min)

    def active_at(self, local: datetime) -> bool:
        """Whether the manager is away at `local` (naive, the department's time zone)."""
        return self.begins <= local < self.ends

    @property
    def span(self) -> str:
        """«16.06–27.06», «16.06 14:00–27.06», «16.06 14:00–18:00», «17.06 с 14:00»,
        «17.06 до 12:00», «16.06» — as reasons show it."""
        if self.start == self.end and not (self.start_time and self.end_time):
            day = f"{self.start:%d.%m}"
            if self.start_time:
                return f"{day} с {self.start_time:%H:%M}"
            return f"{day} до {self.end_time:%H:%M}" if self.end_time else day
        start = f"{self.start:%d.%m}" + (f" {self.start_time:%H:%M}" if self.start_time else "")
        if self.end_time is None:
            return f"{start}–{self.end:%d.%m}"
        end = f"{self.end_time:%H:%M}" if self.end == self.start else f"{self.end:%d.%m} {self.end_time:%H:%M}"
        return f"{start}–{end}"


@dataclass(frozen=True, slots=True)
class Pool:
    name: str
    members: tuple[str, ...]
    method: str = "round_robin"
    window_days: int = 30
    period: str = "rolling"  # one of POOL_PERIODS
    # From weights_file (directory/conversion.py): member → weight, member → conversion.
    weights: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    conversion: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    def weight(self, manager: Manager) -> float:
        """The member's weight: from the conversion file when it has one, else [[manager]] weight."""
        return self.weights.get(manager.id, manager.weight)

    def weight_text(self, manager: Manager) -> str:
        """«вес 1.3 (конверсия 26%)», «вес 2», or «вес 1»."""
        rate = self.conversion.get(manager.id)
        more = f" (конверсия {rate * 100:.0f}%)" if rate is not None else ""
        return f"вес {self.weight(manager):g}{more}"


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
    roster: Roster = field(default_factory=Roster)  # [[duty]] and the [roster] file: who is on duty when
    # Every queue by name, `pool` (the first) among them; a [[rule]] names one with pool = "…".
    pools: Mapping[str, Pool] = field(default_factory=lambda: MappingProxyType({}))
    caps_apply_to: tuple[str, ...] = ("pool",)  # conditions whose mail counts against the caps ([caps])

    def capped_rules(self) -> tuple[str, ...]:
        """Ids of the rules whose mail counts against the caps: a rule of a capped
        condition, or an all/any with a part of one."""
        def kinds(spec: RuleSpec) -> set[str]:
            return {spec.when, *(getattr(p, "when", "") for p in getattr(spec.options, "conditions", ()))}

        return tuple(s.id for s in self.rules if kinds(s) & set(self.caps_apply_to))

    def acknowledges(self, rule_id: str) -> bool:
        """Whether a request forwarded by rule `rule_id` gets an acknowledgement."""
        if self.acknowledge is None:
            return False
        spec = next((s for s in self.rules if s.id == rule_id), None)
        if spec is not None and spec.acknowledge is not None:
            return spec.acknowledge
        return self.acknowledge.enabled

    def absence_on(self, manager: str, day: date) -> Absence | None:
        """An absence of `manager` touching `day` (any part of it)."""
        for absence in self.absences:
            if absence.manager == manager and absence.covers(day):
                return absence
        return None

    def absence_at(self, manager: str, moment: datetime) -> Absence | None:
        """The absence of `manager` at `moment` (naive: the department's time)."""
        local = local_time(self, moment)
        for absence in self.absences:
            if absence.manager == manager and absence.active_at(local):
                return absence
        return None

    def manager_name(self, manager_id: str | None) -> str:
        """The surname used in reasons ("→ Иванова"); the id when unknown."""
        if manager_id is None:
            return "—"
        manager = self.managers.get(manager_id)
        return manager.surname if manager else manager_id


def absence_chain(rules: Rules, manager: str, when: date | datetime) -> tuple[str, list[Absence]]:
    """Who stands in for `manager` at `when` (a moment, or any part of a day): the backup,
    the backup's backup while they are away too, the department head when the chain runs
    out or loops."""
    chain: list[Absence] = []
    current = manager
    seen = {manager}
    while (absence := _absence(rules, current, when)) is not None:
        chain.append(absence)
        nxt = absence.backup
        if nxt in seen or (len(chain) > 1 and not rules.department.backup_chain):
            return rules.department.head, chain
        seen.add(nxt)
        current = nxt
    return current, chain


def _absence(rules: Rules, manager: str, when: date | datetime) -> Absence | None:
    return rules.absence_at(manager, when) if isinstance(when, datetime) else rules.absence_on(manager, when)


def local_time(rules: Rules, moment: datetime) -> datetime:
    """`moment` as the department's wall clock reads it, naive (a naive moment already is)."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(rules.department.timezone).replace(tzinfo=None)


def day_in(rules: Rules, moment: datetime | None) -> date | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=rules.department.timezone)
    return moment.astimezone(rules.department.timezone).date()

def window_start(moment: datetime, days: int) -> datetime:
    return moment - timedelta(days=days)

