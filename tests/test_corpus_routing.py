"""The whole pure pipeline over the shared developer corpus, in arrival order, against
labels.json: parse → extract → decide → journal (so threads and the pool carry on).

The corpus is tests/corpus (see its PROVENANCE.md); a missing corpus fails the
test rather than skipping it, so CI can never pass without running it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from samples import CORPUS, RULES

from inboxbot.extract.extract import Extractor
from inboxbot.mail.message import parse
from inboxbot.model.decision import Decision
from inboxbot.model.records import MessageKey
from inboxbot.route.decide import decide
from inboxbot.route.describe import describe_company, describe_region
from inboxbot.rules.load import load_rules
from inboxbot.rules.model import Rules
from inboxbot.store.factory import memory_store

REQUIRED_ACCURACY = 0.97


def _owner_ok(decision: Decision, expected: str | None, rules: Rules, day: object) -> bool:
    if expected == "pool":
        return decision.pool is not None and rules.pool is not None and decision.owner in rules.pool.members
    return decision.owner == expected


@pytest.fixture(scope="module")
def results() -> list[tuple[str, dict[str, object], Decision, dict[str, object] | None, dict[str, object] | None]]:
    assert CORPUS.is_dir(), f"the developer corpus is missing: {CORPUS}"
    labels = json.loads((CORPUS / "labels.json").read_text(encoding="utf-8"))
    files = sorted(CORPUS.glob("*.eml"))
    assert len(files) == len(labels) == 30
    rules = load_rules(RULES)
    dept = rules.department
    extractor = Extractor()
    out = []
    with memory_store() as journal:
        for index, path in enumerate(files, start=1):
            msg = parse(path.read_bytes())
            facts = extractor.extract(
                msg,
                internal_domains=dept.internal_domains,
                shared_addresses=dept.shared_addresses,
                free_mail_domains=dept.free_mail_domains,
            )
            received = msg.date or datetime(2025, 9, 1, tzinfo=UTC)
            decision = decide(msg, facts, rules, journal.history, received_at=received)
            journal.messages.record_decision(
                MessageKey("corpus", 1, index),
                msg,
                decision,
            )
            out.append(
                (
                    path.name,
                    labels[path.name],
                    decision,
                    describe_company(facts, decision, rules),
                    describe_region(facts, decision, rules),
                )
            )
    return out


def test_owner_and_action_accuracy(results: list) -> None:  # type: ignore[type-arg]
    rules = load_rules(RULES)
    misses = []
    for name, label, decision, _, _ in results:
        ok = decision.public_action == label["expected_action"] and (
            label["expected_action"] == "skip" or _owner_ok(decision, label["expected_owner"], rules, None)
        )
        if not ok:
            misses.append(
                f"{name}: got {decision.public_action} → {decision.owner} [{decision.rule}], "
                f"expected {label['expected_action']} → {label['expected_owner']} [{label['rule']}]; "
                f"reasons: {' | '.join(decision.reasons)}"
            )
    accuracy = 1 - len(misses) / len(results)
    assert accuracy >= REQUIRED_ACCURACY, f"{accuracy:.0%} correct; misses:\n" + "\n".join(misses)


def test_rule_names_match_labels(results: list) -> None:  # type: ignore[type-arg]
    """Not just the right person: the right rule (and base rule under absence)."""
    wrong = [
        f"{name}: {decision.rule}/{decision.base_rule} ≠ {label['rule']}/{label.get('base_rule')}"
        for name, label, decision, _, _ in results
        if decision.rule != label["rule"] or decision.base_rule != label.get("base_rule")
    ]
    assert len(wrong) <= 1, "\n".join(wrong)


def test_every_forward_explains_itself(results: list) -> None:  # type: ignore[type-arg]
    for name, _, decision, _, _ in results:
        assert decision.reasons, name
        assert decision.trail and decision.trail[-1].matched, name
        if decision.rule == "absence_backup":
            assert decision.notify == (decision.base_owner,), name


def test_company_and_region_views(results: list) -> None:  # type: ignore[type-arg]
    wrong = []
    for name, label, _decision, company, region in results:
        if label["expected_action"] == "skip":
            assert company is None and region is None, name
            continue
        got_inn = company["inn"] if company else None
        got_region = region["code"] if region else None
        if got_inn != label["inn"] or got_region != label["region_code"]:
            wrong.append(f"{name}: inn {got_inn} region {got_region}, expected {label['inn']} {label['region_code']}")
    assert len(wrong) <= 1, "\n".join(wrong)
