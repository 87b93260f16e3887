"""A request's story (web/story.py), pure: the events in order, the forwarder named only
when a colleague forwarded the client's mail."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from samples import RULES
from web_site import T0

from inboxbot.model.records import MessageKey, RequestRow
from inboxbot.rules.load import load_rules
from inboxbot.web.story import story

ROW = RequestRow(
    id=7, key=MessageKey("INBOX", 1, 7), message_id="m7@client", sender="buyer@client.test", subject="Коробки",
    sent_at=None, seen_at=T0, state="marked", action="forward", owner="petrov", rule="territory", base_owner=None,
    base_rule=None, pool=None, reasons=("Вологодская область → Петров",), company="ООО «Клиент»", inn="3525000001",
    region_code="35", region_name="Вологодская область", district=None, forward_id="fwd7@bot",
    forwarded_at=T0 + timedelta(minutes=1), answered_at=T0 + timedelta(hours=3), answered_by="petrov",
    answer_how="flag", reminded_at=T0 + timedelta(hours=2), escalated_at=None, escalated_to=None,
    acked_at=T0 + timedelta(minutes=2), error=None, client="buyer@client.test",
)


def test_the_story_is_in_order_and_names_a_forwarder_only_when_there_is_one() -> None:
    rules = load_rules(RULES)
    events = story(ROW, rules, [], [])
    assert [e.title for e in events] == [
        "Письмо пришло в общий ящик", "Решение бота", "Переслано: Петров Дмитрий Сергеевич",
        "Клиенту отправлено подтверждение", "Напоминание менеджеру", "Ответил: Петров Дмитрий Сергеевич",
    ]
    assert events[0].lines[0] == "От: buyer@client.test"  # the client wrote it themselves
    forwarded = story(dataclasses.replace(ROW, sender="colleague@severkarton.test"), rules, [], [])
    assert forwarded[0].lines[0] == "От: buyer@client.test (переслал коллега colleague@severkarton.test)"
    assert events[-1].lines == ("отметкой «отвечено» в ящике",)


def test_a_thread_the_backup_kept_after_an_absence_is_not_told_as_handed_over() -> None:
    from inboxbot.model.handover import KEPT, Change
    from inboxbot.web.story import change_event

    kept = Change((), (), KEPT, "конец отсутствия", T0, "petrov", "sidorov", requests=(1,), id=3)
    event = change_event(kept, load_rules(RULES))
    assert event.title == "Основной менеджер вернулся, заявка осталась у замещавшего: Петров Дмитрий Сергеевич"
    assert "Как: после отсутствия заявки остались у замещавшего" in event.lines
