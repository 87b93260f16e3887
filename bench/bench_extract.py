"""Benchmark of extraction: pipeline load time, throughput on one core, peak memory, and
where the time goes (cProfile).

    .venv/bin/python bench/bench_extract.py              # 1,200 mails
    .venv/bin/python bench/bench_extract.py --mails 3000 --profile 400

Not a test: it prints numbers. The mails are made from the sample corpus
(tests/corpus) and our fixtures (tests/fixtures/extract) by varying what extraction
looks at: every INN becomes another valid INN of some region, company names in quotes get
other invented names, cities are swapped for other cities, and the charset alternates
between UTF-8 and windows-1251. Attachments (cards) travel along. Sizes stay those of real
mail (most between 1 and 6 KB; the average is printed).

Throughput is measured with the process pinned to one CPU (os.sched_setaffinity) and the
numeric libraries held to one thread, so it reads as "mails per second per core".
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import re
import resource
import sys
import time
from email.message import EmailMessage
from email.utils import formataddr
from pathlib import Path

# One thread for BLAS/OpenMP before numpy is imported anywhere (natasha's NER uses numpy).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from samples import CORPUS  # noqa: E402  (the one list of where sample data lives)

FIXTURES = REPO / "tests" / "fixtures" / "extract"
INTERNAL = ("severkarton.test",)
OWN_NAMES = ("ТД «Северный Картон», отдел продаж",)

_INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)

_NAME_STEMS = ("Агро", "Норд", "Техно", "Волга", "Урал", "Сибирь", "Балт", "Кубань", "Дон", "Ока", "Кама", "Алтай", "Вектор", "Альфа", "Гранит")
_NAME_TAILS = ("пак", "снаб", "трейд", "логистик", "пром", "маркет", "продукт", "сервис", "холод", "мебель", "хлеб", "тара")
_CITIES = ("Москва", "Казань", "Самара", "Тверь", "Омск", "Пермь", "Тула", "Калуга", "Иркутск", "Воронеж", "Саратов", "Уфа", "Томск", "Курск")
_REGIONS = ("77", "16", "63", "69", "55", "59", "71", "40", "38", "36", "64", "02", "70", "46", "78", "50", "66", "54", "23", "61")

_INN_RE = re.compile(r"(?<!\d)(\d{10}|\d{12})(?!\d)")
_QUOTED_RE = re.compile(r"«([А-ЯЁA-Z][^«»\n]{2,40})»")
_CITY_RE = re.compile(r"\b(?:г\.\s*)(" + "|".join(_CITIES) + r")\b")


_HISTORY = """

С уважением,
отдел продаж

От: Смирнова Ольга <o.smirnova@severkarton.test>
Отправлено: 2 июля 2025 г. 10:15
Кому: клиенту
Тема: Коммерческое предложение

Добрый день! Направляю коммерческое предложение на гофрокороба и стретч-плёнку.
Цены действительны до конца месяца, отгрузка со склада в Санкт-Петербурге в течение
3 рабочих дней после оплаты. Доставка по городу бесплатно от 30 000 руб.
С уважением, Смирнова Ольга Викторовна
ООО «Торговый дом „Северный Картон“», ИНН 7801734567, КПП 780101001
г. Санкт-Петербург, тел. (812) 600-00-00
"""
_DISCLAIMER = """

Это сообщение и любые приложения к нему содержат конфиденциальную информацию и
предназначены только для указанного адресата. Если вы получили это сообщение по ошибке,
сообщите отправителю и удалите его. Любое использование, копирование или распространение
без разрешения запрещено.
"""


def _check(digits: str, weights: tuple[int, ...]) -> str:
    return str(sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10)


def _new_inn(rng: random.Random, length: int) -> str:
    region = rng.choice(_REGIONS)
    if length == 10:
        body = region + "".join(rng.choice("0123456789") for _ in range(7))
        return body + _check(body, _INN10_WEIGHTS)
    body = region + "".join(rng.choice("0123456789") for _ in range(8))
    body += _check(body, _INN12_WEIGHTS_1)
    return body + _check(body, _INN12_WEIGHTS_2)


def _vary_text(text: str, rng: random.Random) -> str:
    from inboxbot.model.requisites import is_valid_inn

    inns: dict[str, str] = {}

    def inn(m: re.Match[str]) -> str:
        value = m.group(1)
        if value == "7801734567" or not is_valid_inn(value):  # our own INN and non-INNs stay
            return value
        return inns.setdefault(value, _new_inn(rng, len(value)))

    names: dict[str, str] = {}

    def name(m: re.Match[str]) -> str:
        if "Северный Картон" in m.group(1):
            return m.group(0)
        new = names.setdefault(m.group(1), rng.choice(_NAME_STEMS) + rng.choice(_NAME_TAILS) + rng.choice(("", " Плюс", " Групп", "-Юг")))
        return f"«{new}»"

    text = _INN_RE.sub(inn, text)
    text = _QUOTED_RE.sub(name, text)
    return _CITY_RE.sub(lambda m: m.group(0).replace(m.group(1), rng.choice(_CITIES)), text)


def source_mails() -> list[bytes]:
    paths = sorted(CORPUS.glob("*.eml")) + sorted(FIXTURES.glob("*.eml"))
    if not paths:
        raise SystemExit(f"no mails found in {CORPUS} or {FIXTURES}")
    return [p.read_bytes() for p in paths]


def make_mails(count: int, seed: int = 7) -> list[bytes]:
    """`count` varied mails from the corpus and fixtures (see the module docstring)."""
    from inboxbot.mail.message import parse

    rng = random.Random(seed)
    sources = [parse(raw) for raw in source_mails()]
    mails: list[bytes] = []
    while len(mails) < count:
        for src in sources:
            if len(mails) >= count:
                break
            msg = EmailMessage()
            sender = src.sender
            msg["From"] = formataddr((sender.name, sender.email)) if sender else "someone@example.ru"
            msg["To"] = "sales@severkarton.test"
            msg["Subject"] = src.subject or "Запрос"
            msg["Message-ID"] = f"<bench-{len(mails)}@bench.test>"
            for key in ("Reply-To", "In-Reply-To", "References"):
                value = src.header(key)
                if value:
                    msg[key] = value
            charset = "utf-8" if len(mails) % 2 else "windows-1251"
            if src.text:
                body = _vary_text(src.text, rng)
                # Real mail is bigger than our terse fixtures: a quoted history on every
                # other mail, a legal disclaimer on some, and the HTML twin of the text
                # that mail clients add (multipart/alternative).
                if len(mails) % 2 and ">" not in body and "От:" not in body:
                    body += _HISTORY
                if len(mails) % 3 == 0:
                    body += _DISCLAIMER
                try:
                    msg.set_content(body, charset=charset)
                except UnicodeEncodeError:
                    charset = "utf-8"
                    msg.set_content(body, charset=charset)
                html_body = "".join(f"<p>{line or '&nbsp;'}</p>" for line in body.replace("&", "&amp;").replace("<", "&lt;").split("\n"))
                msg.add_alternative(f"<html><body>{html_body}</body></html>", subtype="html", charset="utf-8")
            else:
                msg.set_content(_vary_text(src.html, rng), subtype="html", charset="utf-8")
            for att in src.attachments:
                maintype, _, subtype = att.content_type.partition("/")
                msg.add_attachment(att.payload, maintype=maintype or "application", subtype=subtype or "octet-stream", filename=att.filename)
            for inner in src.forwarded:
                inner_msg = EmailMessage()
                inner_msg["From"] = formataddr((inner.sender.name, inner.sender.email)) if inner.sender else "x@example.ru"
                inner_msg["Subject"] = inner.subject
                inner_msg.set_content(_vary_text(inner.text, rng), charset="utf-8")
                msg.add_attachment(inner_msg)
            mails.append(msg.as_bytes())
    return mails


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mails", type=int, default=1200)
    parser.add_argument("--profile", type=int, default=300, help="mails to run under cProfile (0: none)")
    parser.add_argument("--top", type=int, default=18)
    parser.add_argument("--cpu", type=int, default=None, help="CPU to pin to (default: the first allowed)")
    parser.add_argument("--clients", default=str(REPO / "inboxbot" / "demo_data" / "clients.csv"),
                        help="client base searched in every mail, as the worker does ('' for none)")
    args = parser.parse_args()

    cpu = args.cpu if args.cpu is not None else min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    print(f"pinned to CPU {cpu} of {os.cpu_count()}; Python {sys.version.split()[0]}")
    rss_start = _rss_mb()

    started = time.perf_counter()
    from inboxbot.directory.clients import ClientBase
    from inboxbot.extract.extract import Extractor
    from inboxbot.mail.message import parse

    import_s = time.perf_counter() - started
    extractor = Extractor()
    base_started = time.perf_counter()
    clients = ClientBase.load(Path(args.clients)).dictionary if args.clients else None
    base_s = time.perf_counter() - base_started
    load_s = time.perf_counter() - started
    rss_loaded = _rss_mb()
    # The first mail pays for lazy loads (pymorphy3's dictionaries, natasha's embeddings).
    first = time.perf_counter()
    warm = parse((CORPUS / "001-pryaniki-korobki-inn.eml").read_bytes()) if CORPUS.is_dir() else parse(source_mails()[0])
    extractor.extract(warm, internal_domains=INTERNAL, own_company_names=OWN_NAMES, clients=clients)
    first_s = time.perf_counter() - first

    gen = time.perf_counter()
    mails = make_mails(args.mails)
    gen_s = time.perf_counter() - gen
    sizes = sorted(len(m) for m in mails)
    print(f"mails: {len(mails)} made in {gen_s:.1f} s; size mean {sum(sizes) / len(sizes) / 1024:.1f} KB, "
          f"median {sizes[len(sizes) // 2] / 1024:.1f} KB, p90 {sizes[int(len(sizes) * 0.9)] / 1024:.1f} KB")
    print(f"load: imports {import_s:.2f} s, Extractor() total {load_s:.2f} s, first mail {first_s * 1000:.0f} ms "
          f"(lazy dictionaries); RSS {rss_start:.0f} → {rss_loaded:.0f} MB")
    print(f"client base: {args.clients or 'none'}, dictionary in {base_s:.2f} s")

    parsed = []
    t0 = time.perf_counter()
    for raw in mails:
        parsed.append(parse(raw))
    parse_s = time.perf_counter() - t0
    per_mail: list[float] = []
    companies = inns = regions = 0
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    for msg in parsed:
        t = time.perf_counter()
        facts = extractor.extract(msg, internal_domains=INTERNAL, own_company_names=OWN_NAMES, clients=clients)
        per_mail.append(time.perf_counter() - t)
        companies += facts.company is not None
        inns += bool(facts.company and facts.company.inn)
        regions += facts.region is not None
    extract_s = time.perf_counter() - t0
    extract_cpu = time.process_time() - cpu0
    per_mail.sort()
    n = len(parsed)
    print(f"parse:   {n / parse_s:7.0f} mails/s ({parse_s / n * 1000:.2f} ms/mail)")
    print(f"extract: {n / extract_s:7.0f} mails/s ({extract_s / n * 1000:.2f} ms/mail; "
          f"p50 {per_mail[n // 2] * 1000:.1f} ms, p90 {per_mail[int(n * 0.9)] * 1000:.1f} ms, p99 {per_mail[int(n * 0.99)] * 1000:.1f} ms, "
          f"max {per_mail[-1] * 1000:.0f} ms)")
    print(f"parse + extract: {n / (parse_s + extract_s):.0f} mails/s on one core")
    # CPU time, not wall time: on a shared machine the wall clock counts other processes' turns too.
    print(f"extract, CPU time: {n / extract_cpu:.0f} mails/s ({extract_cpu / n * 1000:.2f} ms/mail)")
    print(f"found: company {companies}, INN {inns}, region {regions} of {n}")
    print(f"peak memory (ru_maxrss): {_rss_mb():.0f} MB")

    if args.profile:
        profiler = cProfile.Profile()
        sample = parsed[: args.profile]
        profiler.enable()
        for msg in sample:
            extractor.extract(msg, internal_domains=INTERNAL, own_company_names=OWN_NAMES, clients=clients)
        profiler.disable()
        for key, title in (("tottime", "own time"), ("cumulative", "cumulative time")):
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(key)
            stats.print_stats(args.top)
            body = out.getvalue()
            print(f"\n--- cProfile over {len(sample)} mails, by {title} ---")
            print(body[body.find("ncalls"):].rstrip())


if __name__ == "__main__":
    main()
