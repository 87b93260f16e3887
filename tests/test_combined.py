"""Conditions combined with all/any, the region condition and several named pools (a
queue per segment): routing, and `check` on each mistake with its line."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from samples import RULES, demo_department

from inboxbot.model.facts import Company, Evidence, Facts, Region
from inboxbot.route.decide import decide
from inboxbot.rules.load import check, load_rules
from inboxbot.rules.model import Rules
from inboxbot.store.factory import memory_store
from inboxbot.tools.fair_month import anonymous_request

MOMENT = datetime(2025, 6, 9, 7, 0, tzinfo=UTC)
POOLS = """[[pool]]
name = "main"
members = ["ivanova", "petrov", "sidorov", "orlov", "smirnova"]

[[pool]]
name = "pharma"
members = ["smirnova", "orlov"]
method = "round_robin"
"""


def _text(rules_block: str, *, before: str = '[[rule]]\nid = "territory"', pools: bool = False) -> str:
    text = RULES.read_text(encoding="utf-8")
    text = text.replace("[[rule]]\nid = \"not_a_request\"\nwhen = \"not_a_request\"\naction = \"skip\"\n", "")
    assert before in text
    text = text.replace(before, rules_block + "\n" + before, 1)
    if pools:
        start = text.index("[pool]\nname")
        end = text.index("# ─── Правила")
        text = text[:start] + POOLS + "\n" + text[end:]
    return text


def _load(tmp_path: Path, text: str) -> Rules:
    return load_rules(demo_department(tmp_path, text))


def _errors(tmp_path: Path, text: str) -> list[str]:
    return check(demo_department(tmp_path, text))[0]


def _line(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def _public(code: str, district: str) -> Facts:
    company = Company(name="ГБУ «Школа № 5»", core="Школа № 5", legal_form="ГБУ", public_sector=True)
    return Facts(company=company, region=Region(code=code, name="", district=district, how="phone", evidence=Evidence("signature", "тел.")))


MOSCOW_PUBLIC = """[[rule]]
id = "moscow_public"
when = "all"
conditions = [
  { when = "public_sector", laws = ["44-ФЗ"] },
  { when = "region", regions = ["77"] },
]
owner = "volkov"
"""


def test_all_needs_every_part(tmp_path: Path) -> None:
    rules = _load(tmp_path, _text(MOSCOW_PUBLIC, before='[[rule]]\nid = "public_sector"'))
    history = memory_store().history
    d = decide(anonymous_request(1, MOMENT), _public("77", "ЦФО"), rules, history, received_at=MOMENT)
    assert (d.owner, d.rule) == ("volkov", "moscow_public")
    assert d.reasons[-1] == "все условия выполнены → Волков"
    step = next(s for s in d.trail if s.rule == "moscow_public")
    assert step.detail.startswith("public_sector: ") and " и region: регион " in step.detail
    d = decide(anonymous_request(2, MOMENT), _public("61", "ЮФО"), rules, history, received_at=MOMENT)
    assert (d.owner, d.rule) == ("kuznetsova", "public_sector")
    assert next(s for s in d.trail if s.rule == "moscow_public").detail.startswith("не выполнено условие «region»: регион ")


def test_any_takes_the_first_part_that_matches(tmp_path: Path) -> None:
    block = """[[rule]]
id = "east_or_fish"
when = "any"
conditions = [{ when = "segment", keywords = ["рыба"] }, { when = "region", districts = ["ДФО"] }]
owner = "orlov"
"""
    rules = _load(tmp_path, _text(block))
    history = memory_store().history
    far_east = Facts(region=Region(code="25", name="", district="ДФО", how="phone", evidence=Evidence("signature", "тел.")))
    d = decide(anonymous_request(1, MOMENT), far_east, rules, history, received_at=MOMENT)
    assert (d.owner, d.rule) == ("orlov", "east_or_fish") and d.reasons[-1] == "→ Орлов"
    d = decide(anonymous_request(2, MOMENT), Facts(region=replace(far_east.region, code="10", district="СЗФО")), rules, history,  # type: ignore[arg-type]
               received_at=MOMENT)
    assert (d.owner, d.rule) == ("petrov", "territory")
    assert next(s for s in d.trail if s.rule == "east_or_fish").detail.startswith("ни одно из условий не выполнено (segment: ")


def test_a_queue_per_segment(tmp_path: Path) -> None:
    block = """[[rule]]
id = "pharma_queue"
when = "all"
conditions = [{ when = "segment", keywords = ["аптека"] }, { when = "pool", pool = "pharma" }]
"""
    rules = _load(tmp_path, _text(block, pools=True))
    assert list(rules.pools) == ["main", "pharma"] and rules.pool is not None and rules.pool.name == "main"
    store = memory_store()
    owners, pools = [], []
    for n in range(4):
        msg = anonymous_request(n, MOMENT)
        facts = Facts(new_text="Мы сеть аптек, нужны коробки" if n % 2 == 0 else "коробки")
        d = decide(msg, facts, rules, store.history, received_at=MOMENT)
        from inboxbot.model.records import MessageKey

        store.messages.record_decision(MessageKey("INBOX", 1, n + 1), msg, d, seen_at=MOMENT)
        owners.append(d.owner)
        pools.append(d.pool)
    assert pools == ["pharma", "main", "pharma", "main"]
    assert owners == ["smirnova", "ivanova", "orlov", "petrov"]
    d = decide(anonymous_request(9, MOMENT), Facts(new_text="аптека"), rules, store.history, received_at=MOMENT)
    assert "в письме «аптека» → —" not in d.reasons and "ключевое слово «аптека»" in d.reasons


# --- check ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("block", "needle", "message"),
    [
        (
            '[[rule]]\nid = "x"\nwhen = "all"\nconditions = [{ when = "any", conditions = [] }, { when = "territory" }]\n',
            "conditions = [",
            "правило «x»: внутри all/any условия не вкладываются: вместо «any» перечислите его условия здесь же",
        ),
        (
            '[[rule]]\nid = "x"\nwhen = "all"\nconditions = [{ when = "teritory" }, { when = "pool" }]\n',
            "conditions = [",
            "правило «x»: условие №1 в conditions: неизвестное условие «teritory» (возможно, «territory»). Допустимые: "
            "not_a_request, thread, repeat, addressed, vip, public_sector, client_inn, client_domain, client_name, ledger, "
            "group, segment, territory, region, duty, pool, fallback",
        ),
        (
            '[[rule]]\nid = "x"\nwhen = "all"\nconditions = [{ when = "region", region = ["77"] }, { when = "pool" }]\n',
            "conditions = [",
            "правило «x»: неизвестный параметр «region» (возможно, «regions») для условия «region». "
            "Допустимые: when, owner, regions, districts",
        ),
        (
            '[[rule]]\nid = "x"\nwhen = "all"\nconditions = [{ when = "region", regions = ["77"] }, { when = "segment", okved = ["21"] }]\n',
            '[[rule]]',
            "правило «x»: ни одно условие в conditions не выбирает менеджера: укажите owner = \"…\". Допустимые менеджеры: "
            "volkov, ivanova, petrov, sidorov, kuznetsova, orlov, smirnova",
        ),
        (
            '[[rule]]\nid = "x"\nwhen = "any"\nconditions = { when = "pool" }\n',
            "conditions = {",
            "правило «x»: conditions — список условий в квадратных скобках, каждое в фигурных: conditions = "
            "[{ when = \"public_sector\" }, { when = \"region\", regions = [\"77\"] }]; указана таблица { when = \"pool\" }",
        ),
        (
            '[[rule]]\nid = "x"\nwhen = "any"\nconditions = [{ when = "pool" }]\n',
            '[[rule]]',
            "правило «x»: в conditions нужно хотя бы два условия, например conditions = [{ when = \"public_sector\" }, "
            "{ when = \"region\", regions = [\"77\"] }]",
        ),
        (
            '[[rule]]\nid = "x"\nwhen = "region"\nregions = ["Москва"]\nowner = "smirnova"\n',
            '[[rule]]',
            "правило «x»: «regions»: «Москва» — код региона из двух цифр в кавычках, например \"77\" (Москва), \"02\"",
        ),
        (
            '[[rule]]\nid = "x"\nwhen = "region"\ndistricts = ["ЦАО"]\nowner = "smirnova"\n',
            '[[rule]]',
            "правило «x»: «districts»: неизвестный федеральный округ «ЦАО». Допустимые: ЦФО, СЗФО, ПФО, УФО, СФО, ДФО, ЮФО, СКФО",
        ),
        (
            '[[rule]]\nid = "x"\nwhen = "pool"\npool = "farma"\n',
            '[[rule]]',
            "правило «x»: неизвестная очередь «farma». Допустимые: main",
        ),
    ],
)
def test_check_names_the_line_and_the_fix(tmp_path: Path, block: str, needle: str, message: str) -> None:
    text = _text(block)
    line = _line(text, block) + _line(block, needle) - 1
    assert _errors(tmp_path, text) == [f"rules.toml, строка {line}, {message}"]


def test_check_points_at_the_part_on_its_own_line(tmp_path: Path) -> None:
    block = '[[rule]]\nid = "x"\nwhen = "all"\nconditions = [\n  { when = "pool" },\n  { when = "segment" },\n]\nowner = "orlov"\n'
    text = _text(block)
    line = _line(text, block) + 5
    assert _errors(tmp_path, text) == [
        f"rules.toml, строка {line}, правило «x»: для условия «segment» нужны keywords = [\"…\"] или okved = [\"…\"]"
    ]


def test_check_two_pools_with_one_name(tmp_path: Path) -> None:
    text = _text("", pools=True).replace('name = "pharma"', 'name = "main"')
    line = _line(text, 'name = "main"\nmembers = ["smirnova"')
    assert _errors(tmp_path, text) == [
        f"rules.toml, строка {line}, [[pool]] «main»: очередь «main» уже описана выше; у каждой [[pool]] своё имя (name = \"…\")"
    ]


# --- caps over territory and segment mail ------------------------------------------------------------


def test_caps_over_territory_mail_send_the_overflow_down_the_rules(tmp_path: Path) -> None:
    text = _text("").replace('apply_to = ["pool"]', 'apply_to = ["pool", "territory", "segment"]')
    text = text.replace('id = "petrov"\nname', 'id = "petrov"\ndaily_cap = 2\nname', 1)
    rules = _load(tmp_path, text)
    assert rules.caps_apply_to == ("pool", "territory", "segment") and "territory" in rules.capped_rules()
    store = memory_store()
    karelia = Facts(region=Region(code="10", name="", district="СЗФО", how="phone", evidence=Evidence("signature", "тел.")))
    from inboxbot.model.records import MessageKey

    owners = []
    for n in range(4):
        moment = MOMENT.replace(minute=n)
        msg = anonymous_request(n, moment)
        d = decide(msg, karelia, rules, store.history, received_at=moment)
        store.messages.record_decision(MessageKey("INBOX", 1, n + 1), msg, d, seen_at=moment)
        owners.append((d.owner, d.rule))
    assert owners[:2] == [("petrov", "territory"), ("petrov", "territory")]
    assert [r for _, r in owners[2:]] == ["pool", "pool"] and all(o != "petrov" for o, _ in owners[2:])
    step = next(s for s in d.trail if s.rule == "territory")
    assert step.detail.endswith("но Петров: дневной лимит 2 исчерпан — письмо идёт дальше по правилам")
    # The next day the cap is fresh.
    tomorrow = MOMENT.replace(day=10)
    assert decide(anonymous_request(9, tomorrow), karelia, rules, store.history, received_at=tomorrow).owner == "petrov"


def test_default_caps_leave_territory_mail_alone(tmp_path: Path) -> None:
    text = _text("").replace('id = "petrov"\nname', 'id = "petrov"\ndaily_cap = 1\nname', 1)
    rules = _load(tmp_path, text)
    store = memory_store()
    karelia = Facts(region=Region(code="10", name="", district="СЗФО", how="phone", evidence=Evidence("signature", "тел.")))
    from inboxbot.model.records import MessageKey

    for n in range(3):
        msg = anonymous_request(n, MOMENT)
        d = decide(msg, karelia, rules, store.history, received_at=MOMENT)
        store.messages.record_decision(MessageKey("INBOX", 1, n + 1), msg, d, seen_at=MOMENT)
        assert (d.owner, d.rule) == ("petrov", "territory")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('["pool", "teritory"]', "apply_to: неизвестный вид писем «teritory». Допустимые: pool, territory, segment, region"),
        ("[]", "apply_to — хотя бы один вид писем, например apply_to = [\"pool\", \"territory\"]"),
        ('"pool"', None),
    ],
)
def test_check_caps_apply_to(tmp_path: Path, value: str, message: str | None) -> None:
    text = _text("").replace('apply_to = ["pool"]', f"apply_to = {value}")
    line = _line(text, "\napply_to = ") + 1
    assert _errors(tmp_path, text) == ([f"rules.toml, строка {line}, [caps]: {message}"] if message else [])


def test_a_member_of_a_named_queue_only_counts_as_a_queue_member(tmp_path: Path) -> None:
    """Users of the first queue that had to know every queue: web access, scoring."""
    from inboxbot.model.decision import Decision
    from inboxbot.tools.score_routing import owner_right
    from inboxbot.web.access import viewer_of

    text = _text("", pools=True).replace('members = ["smirnova", "orlov"]', 'members = ["smirnova", "kuznetsova"]')
    rules = _load(tmp_path, text)
    assert rules.pool is not None and "kuznetsova" not in rules.pool.members
    viewer = viewer_of(rules, "kuznetsova")
    assert viewer is not None and viewer.in_pool  # may take unassigned mail, as the first queue's members
    pharma = Decision("forward", "kuznetsova", "pharma", (), pool="pharma")
    assert owner_right(pharma, "pool", rules)
    assert not owner_right(Decision("forward", "kuznetsova", "pool", (), pool="main"), "pool", rules)
