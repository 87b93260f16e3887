"""rules.toml → typed, validated Rules, or every problem at once.

The file is edited by a sales head, not a programmer, so every problem is reported in
Russian with the file, the line, the section or rule it belongs to, what is wrong and what
would be valid — and all problems at once, not one per run. Each section has its reader
module; this one reads the text, runs them in order and assembles the Rules.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from inboxbot.errors import RulesError
from inboxbot.model.domains import FREE_MAIL_DOMAINS
from inboxbot.rules import tomlerrors
from inboxbot.rules.absences import AbsenceSection, read_absences
from inboxbot.rules.calendar import CalendarSection, holiday_hint, read_calendar
from inboxbot.rules.caps import CapsSection, read_caps
from inboxbot.rules.department import DepartmentSection, read_department
from inboxbot.rules.followup import (
    AcknowledgeSection,
    FollowUpSection,
    ReportSection,
    read_acknowledge,
    read_followup,
    read_report,
)
from inboxbot.rules.forms import form_tokens
from inboxbot.rules.managers import ManagerSection, PoolSection, read_managers, read_pools
from inboxbot.rules.model import DEFAULT_HOURS, Rules
from inboxbot.rules.positions import Positions
from inboxbot.rules.presence import PresenceSection, read_presence
from inboxbot.rules.problems import Problems, suggest, valid_list
from inboxbot.rules.reader import Reader
from inboxbot.rules.roster import DutySection, RosterFileSection, read_roster
from inboxbot.rules.sources import (
    ClientsSection,
    FileSection,
    GroupSection,
    clients_file_name,
    read_clients,
    read_groups,
    read_vip,
)
from inboxbot.rules.specs import check_pool_names, read_rule_specs
from inboxbot.rules.territory import TerritorySection, read_territory


def load_rules(path: Path) -> Rules:
    """Load and validate; raises RulesError listing every problem, one per line."""
    rules, errors, _ = _load(Path(path))
    if errors or rules is None:
        raise RulesError("\n".join(errors))
    return rules


def check(path: Path) -> tuple[list[str], list[str]]:
    """(errors, warnings) for `inboxbot check`; warnings include client-base problems."""
    _, errors, warnings = _load(Path(path))
    return errors, warnings


def examine(path: Path) -> tuple[Rules | None, list[str], list[str]]:
    """(rules or None, errors, warnings) from one load: `inboxbot check` goes on to the
    templates with the rules it got, without loading the files a second time."""
    return _load(Path(path))


@dataclass(frozen=True, slots=True)
class Names:
    """Manager names and rule conditions as rules.toml writes them, not validated."""

    managers: Mapping[str, str]  # manager id → full name
    conditions: Mapping[str, str]  # rule id → condition (when)


def read_names(path: Path) -> Names:
    """For `inboxbot status`, which names managers and rules but decides nothing: the
    names without loading the client base (whose name keys need the morphology
    dictionaries). Empty when the file does not read; `check` says why."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return Names({}, {})

    def entries(key: str) -> list[dict[str, Any]]:
        value = data.get(key)
        return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []

    def pairs(key: str, first: str, second: str) -> dict[str, str]:
        return {e[first]: e[second] for e in entries(key) if isinstance(e.get(first), str) and isinstance(e.get(second), str)}

    managers, conditions = pairs("manager", "id", "name"), pairs("rule", "id", "when")
    return Names(MappingProxyType(managers), MappingProxyType(conditions))

# Every table of rules.toml by name with its declaration ([[rule]] aside: each condition
# declares its own options in route.conditions).
SECTIONS: Mapping[str, type] = MappingProxyType({
    "department": DepartmentSection, "clients": ClientsSection, "groups": FileSection, "group": GroupSection,
    "vip": FileSection, "manager": ManagerSection, "territory": TerritorySection, "absence": AbsenceSection,
    "pool": PoolSection, "acknowledge": AcknowledgeSection, "followup": FollowUpSection, "report": ReportSection,
    "calendar": CalendarSection, "duty": DutySection, "roster": RosterFileSection, "presence": PresenceSection,
    "caps": CapsSection,
})  # fmt: skip
# Every top-level key, in the order the messages list them: SECTIONS' with [[rule]] after
# [pool], so a new section is never refused as unknown.
_TOP_LEVEL = tuple(key for name in SECTIONS for key in ((name, "rule") if name == "pool" else (name,)))

def _load(path: Path) -> tuple[Rules | None, list[str], list[str]]:
    name = path.name
    try:
        raw = path.read_bytes()
    except OSError:
        return None, [f"{name}: файл правил не найден ({path.resolve()})"], []
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [tomlerrors.not_utf8(name, raw, exc.start)], []
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [tomlerrors.explain(name, text, str(exc))], []
    except RecursionError:  # thousands of nested brackets
        return None, [tomlerrors.too_deep(name, text)], []
    pos = Positions(text)
    ctx = Reader(path, data, pos, Problems(name))
    p = ctx.p
    sources: list[Path] = []

    for key in data:
        if key not in _TOP_LEVEL:
            p.error(pos.line(key), "", f"неизвестный раздел [{key}]{suggest(key, _TOP_LEVEL) or holiday_hint(key)}. Допустимые: {valid_list(_TOP_LEVEL)}")

    managers = read_managers(ctx)
    department, templates_dir = read_department(ctx)
    calendar = read_calendar(ctx)
    if department is not None:  # working time counts by the production calendar ([calendar])
        department = replace(department, hours=replace(department.hours, calendar=calendar))
    territory = read_territory(ctx)
    absences = read_absences(ctx, department.head if department else None, department.timezone if department else None)
    absences += read_presence(ctx, managers, department.head if department else None, sources)
    pools = read_pools(ctx, managers, sources)
    caps_apply_to = read_caps(ctx)
    pool = pools[0] if pools else None
    roster = read_roster(ctx, managers, sources, department.hours if department else DEFAULT_HOURS)
    if pools:
        managers = {k: replace(m, in_pool=any(k in p.members for p in pools)) for k, m in managers.items()}
    free_mail = department.free_mail_domains if department else tuple(sorted(FREE_MAIL_DOMAINS))
    clients = read_clients(ctx, free_mail, sources)
    groups = read_groups(ctx, sources)
    vip = read_vip(ctx, sources)
    specs = read_rule_specs(ctx)
    acknowledge = read_acknowledge(ctx, department)
    followup = read_followup(ctx, department.hours if department else DEFAULT_HOURS)
    report = read_report(ctx, department.head if department else None)
    check_pool_names(ctx, specs, pools)

    errors = [text for _, text in sorted(p.errors, key=lambda e: e[0])]
    warnings = [text for _, text in sorted(p.warnings, key=lambda e: e[0])]
    if clients is not None:
        warnings.extend(clients.problems)
        known = set(managers)
        unknown: dict[str, list[int]] = {}
        for client in clients:
            if client.manager and client.manager not in known:
                unknown.setdefault(client.manager, []).append(client.line)
        for manager_id, lines in unknown.items():
            shown = ", ".join(str(n) for n in lines[:5]) + (" …" if len(lines) > 5 else "")
            warnings.append(
                f"{clients_file_name(ctx)}: менеджер «{manager_id}» (строки {shown}) не описан в {name}; "
                f"письма этих клиентов пойдут по следующим правилам. Допустимые: {valid_list(ctx.manager_ids)}"
            )
    if errors or department is None or clients is None:
        return None, errors or [f"{name}: правила не загружены"], warnings

    digest = hashlib.sha256(raw)
    for source in sources:
        try:
            digest.update(source.read_bytes())
        except OSError:
            digest.update(b"missing")
    name_forms = MappingProxyType(
        {m.id: tuple((form_tokens(f), f) for f in m.forms if form_tokens(f)) for m in managers.values()}
    )
    rules = Rules(
        path=path,
        department=department,
        managers=MappingProxyType(dict(managers)),
        rules=tuple(specs),
        territory=territory,
        absences=tuple(absences),
        pool=pool,
        clients=clients,
        groups=groups,
        vip=vip,
        templates_dir=templates_dir,
        fingerprint=digest.hexdigest(),
        warnings=tuple(warnings),
        source_files=tuple(sources),
        name_forms=name_forms,
        followup=followup,
        acknowledge=acknowledge,
        report=report,
        roster=roster,
        pools=MappingProxyType({q.name: q for q in pools}),
        caps_apply_to=caps_apply_to,
    )
    return rules, [], warnings


