"""Benchmark of the client base: load time, memory, name-match latency and the index's
recall against exhaustive scoring, on synthetic bases of 10k / 100k / 1M companies.

    .venv/bin/python bench/bench_clients.py                   # 10k and 100k
    .venv/bin/python bench/bench_clients.py --clients 1000000 # the big one (minutes)

Per size: the first load (in a child process, so whatever it builds — the on-disk index
next to the base — is what a restarted worker finds), the start with that index, the
process's RSS, name-match p50/p95, the client dictionary's build and match time, and
recall: how often the index finds what exhaustive scoring finds, on noisy queries
(typos, case, legal form, grammatical case).

Not a test: it prints numbers. tests/test_clients.py reuses `synthetic_rows` and
`noisy_query` for a quick recall check on 50k names.

Synthetic names imitate a real Russian CRM export: mostly invented brands built from
syllables and stems («Агровектор», «Нордпак», «ЗооМаркет»), often with a common tail
(«Трейд», «Плюс», «Логистик»), descriptive names from a city adjective and a trade
(«Тульская пряничная мануфактура»), nested names («Кондитерская фабрика „Волжанка“»),
Latin names and sole proprietors («ИП Ковалёв А.Н.»). Common words repeat over thousands
of names, as they do in reality, which is what makes blocking hard.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inboxbot.directory.client import Client
from inboxbot.directory.clients import ClientBase
from inboxbot.directory.name_forms import tokens

_SYLLABLES = ["ба", "бе", "би", "бо", "ва", "ве", "ви", "во", "га", "ге", "го", "да", "де", "ди", "до", "жа", "за", "зе", "зи", "ка", "ке", "ки", "ко", "ку", "ла", "ле", "ли", "ло", "лу", "ма", "ме", "ми", "мо", "му", "на", "не", "ни", "но", "ну", "па", "пе", "пи", "по", "ра", "ре", "ри", "ро", "ру", "са", "се", "си", "со", "су", "та", "те", "ти", "то", "ту", "фа", "фе", "фи", "ха", "хо", "ца", "ча", "ша", "шу", "эк", "ал", "ар", "ан", "ас", "ер", "ир", "ол", "ор", "ос", "ум", "ун", "ус"]
_STEMS = ["агро", "пром", "строй", "снаб", "торг", "тех", "хим", "пласт", "пак", "нефте", "газ", "энерго", "мед", "фарм", "эко", "био", "зоо", "лес", "мет", "авто", "рыб", "мяс", "молоко", "хлеб", "сыр", "кондитер", "вино", "чай", "кофе", "мебель", "текстиль", "полимер", "электро", "сиб", "урал", "волга", "дон", "кубань", "балт", "норд", "вост", "юг", "сев", "зап", "евро", "рос", "мос", "петро", "инвест", "капитал", "маркет", "опт", "дистриб", "логистик", "сервис", "трейд"]
_TAILS = ["Трейд", "Плюс", "Групп", "Сервис", "Логистик", "Пак", "Снаб", "Торг", "Маркет", "Дистрибуция", "Продукт", "Фуд", "Строй", "Холдинг", "Центр", "Альянс", "Регион", "Инвест", "Технологии", "Системы", "Индустрия", "Компани", "Опт", "Экспресс", "Профи"]
_CITY_ADJ = ["Тульская", "Московская", "Казанская", "Пермская", "Омская", "Томская", "Курская", "Орловская", "Тверская", "Вологодская", "Сибирская", "Уральская", "Донская", "Кубанская", "Балтийская", "Волжская", "Невская", "Северная", "Южная", "Восточная", "Алтайская", "Байкальская", "Енисейская", "Камская", "Окская", "Рязанская", "Брянская", "Смоленская", "Псковская", "Ростовская"]
_TRADE_ADJ = ["пряничная", "мебельная", "кондитерская", "молочная", "мясная", "рыбная", "хлебная", "бумажная", "упаковочная", "швейная", "строительная", "химическая", "пластиковая", "текстильная", "консервная", "пищевая", "торговая", "сырная", "винная"]
_TRADE_NOUN = ["мануфактура", "фабрика", "компания", "артель", "мастерская", "база", "фирма", "палата"]
_NESTED = ["Кондитерская фабрика", "Мясокомбинат", "Торговый дом", "Типография", "Агрофирма", "Пивоварня", "Сыроварня"]
_LATIN = ["nord", "tech", "line", "fresh", "smart", "green", "market", "trade", "pro", "star", "soft", "box", "pack", "bio", "eco", "city", "home", "food"]
_SURNAMES = ["Ковалёв", "Лебедев", "Тимофеев", "Зверев", "Абрамов", "Гарипов", "Мельников", "Соколов", "Жуков", "Орлов", "Попов", "Федоров"]
_FORMS = ("ООО",) * 14 + ("АО", "ЗАО", "ПАО", "ИП")


def _brand(rng: random.Random) -> str:
    if rng.random() < 0.5:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
    else:
        word = rng.choice(_STEMS) + rng.choice(_STEMS + _SYLLABLES)
    return word.capitalize()


def synthetic_name(rng: random.Random) -> str:
    form = rng.choice(_FORMS)
    if form == "ИП":
        return f"ИП {rng.choice(_SURNAMES)} {rng.choice('АБВГДЕИКЛМНОПРСТ')}.{rng.choice('АБВГДЕИКЛМНОПРСТ')}."
    kind = rng.random()
    if kind < 0.45:
        core = _brand(rng) + (" " + rng.choice(_TAILS) if rng.random() < 0.6 else "")
    elif kind < 0.65:
        core = f"{rng.choice(_CITY_ADJ)} {rng.choice(_TRADE_ADJ)} {rng.choice(_TRADE_NOUN)}"
    elif kind < 0.75:
        return f"{form} «{rng.choice(_NESTED)} „{_brand(rng)}“»"
    elif kind < 0.85:
        core = _brand(rng) + _brand(rng)  # camel-case compound: ЗооМаркет
    elif kind < 0.92:
        core = " ".join(rng.choice(_LATIN).capitalize() for _ in range(rng.randint(1, 2))) + " " + _brand(rng)
    else:
        core = f"{_brand(rng)}-{rng.choice(_CITY_ADJ)[:-3]}"
    return f"{form} «{core}»"


def _inn(rng: random.Random, serial: int) -> str:
    digits = f"{rng.randint(1, 89):02d}{serial % 10_000_000:07d}"  # unique up to 10M rows
    weights = (2, 4, 10, 3, 5, 9, 4, 6, 8)
    return digits + str(sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10)


def synthetic_rows(n: int, seed: int = 1) -> Iterator[dict[str, str]]:
    rng = random.Random(seed)
    managers = ("ivanova", "petrov", "sidorov", "orlov", "smirnova")
    for i in range(n):
        inn = _inn(rng, i)
        yield {
            "name": synthetic_name(rng),
            "inn": inn,
            "region_code": inn[:2],
            "manager": rng.choice(managers),
            "domains": f"c{i}.example.ru",
        }


def write_csv(path: Path, n: int, seed: int = 1) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["name", "inn", "region_code", "manager", "domains"])
        writer.writeheader()
        writer.writerows(synthetic_rows(n, seed))


# --- noisy queries ---------------------------------------------------------------------

_CASES = ("gent", "datv", "ablt", "loct")


def _inflect(word: str, case: str) -> str:
    from inboxbot.directory.names import morph

    parses = morph().parse(word.lower())  # type: ignore[attr-defined]
    if not parses:
        return word
    form = parses[0].inflect({case})
    if form is None:
        return word
    return form.word.capitalize() if word[:1].isupper() else form.word


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    op = rng.random()
    if op < 0.4:
        return word[:i] + rng.choice("аеиоуктнсрл") + word[i + 1 :]
    if op < 0.6:
        return word[:i] + word[i + 1 :]
    if op < 0.8:
        return word[:i] + rng.choice("аеиоуктнсрл") + word[i:]
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]


def noisy_query(name: str, rng: random.Random) -> str:
    """How a person might write a company's name in a letter: without the legal form or
    quotes, in another case, in capitals or lower case, with a typo — one to three of these."""
    text = name
    ops = rng.sample(("form", "case", "letters", "typo", "quotes"), rng.randint(1, 3))
    if "form" in ops:
        text = text.split(" ", 1)[1] if " " in text else text
    if "quotes" in ops:
        text = text.replace("«", '"').replace("»", '"').replace("„", "'").replace("“", "'")
    words = text.split(" ")
    if "case" in ops:
        case = rng.choice(_CASES)
        words = [_inflect(w, case) if w[:1].isalpha() and not w.isupper() else w for w in words]
    if "typo" in ops:
        long_words = [i for i, w in enumerate(words) if len(w) >= 5]
        if long_words:
            i = rng.choice(long_words)
            words[i] = _typo(words[i], rng)
    text = " ".join(words)
    if "letters" in ops:
        text = rng.choice((str.lower, str.upper))(text)
    return text


def same_best(base: ClientBase, query: str) -> bool:
    """Does the index find what exhaustive scoring finds (same client, or an equal score)?"""
    fast = base.by_name(query, limit=1)
    full = base.by_name(query, limit=1, exhaustive=True)
    if full.best is None:
        return fast.best is None
    return fast.best is not None and (
        fast.best.client is full.best.client or abs(fast.best.score - full.best.score) < 0.05
    )


# --- the benchmark ---------------------------------------------------------------------


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _percentiles(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[max(int(len(times) * 0.95) - 1, 0)]


def _first_load(path: Path) -> float:
    """Seconds of the first load of `path`, in a child process: whatever it builds (an
    index next to the base) stays, its memory does not count against the start."""
    code = (
        "import sys, time; sys.path.insert(0, sys.argv[2]); from pathlib import Path; "
        "from inboxbot.directory.clients import ClientBase; t = time.perf_counter(); "
        "ClientBase.load(Path(sys.argv[1])); print(time.perf_counter() - t)"
    )
    root = str(Path(__file__).resolve().parents[1])
    out = subprocess.run([sys.executable, "-c", code, str(path), root], check=True, capture_output=True, text=True)
    return float(out.stdout.split()[-1])


def run(size: int, queries: int, recall_sample: int, dictionary: bool, seed: int = 7) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clients.csv"
        write_csv(path, size, seed)
        build_s = _first_load(path)
        # Peak RSS of the child that built (children are waited for: the largest so far).
        build_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        start = time.perf_counter()
        base = ClientBase.load(path)
        start_s = time.perf_counter() - start
        rss_start = _rss_mb()
        rng = random.Random(seed + 1)
        picked = [base_client.name for base_client in _sample_clients(base, queries, rng)]
        sample = [noisy_query(name, rng) for name in picked]
        times = []
        for q in sample:
            t = time.perf_counter()
            base.by_name(q)
            times.append((time.perf_counter() - t) * 1000)
        p50, p95 = _percentiles(times)
        result = {"first_ms": times[0], "build_mb": build_mb, "size": size, "build_s": build_s, "start_s": start_s, "rss_start_mb": rss_start, "p50_ms": p50, "p95_ms": p95}
        if dictionary:
            t = time.perf_counter()
            words = base.dictionary
            result["dict_build_s"] = time.perf_counter() - t
            texts = [f"Добрый день! Пишу вам от {q}, просим выставить счёт." for q in sample]
            dict_times = []
            for text in texts:
                t = time.perf_counter()
                words.match(list(tokens(text)))
                dict_times.append((time.perf_counter() - t) * 1000)
            result["dict_p50_ms"], result["dict_p95_ms"] = _percentiles(dict_times)
        result["rss_mb"] = _rss_mb()
        found = sum(same_best(base, q) for q in sample[:recall_sample])
        result["recall"] = found / max(recall_sample, 1)
        result["recall_n"] = recall_sample
    return result


def _sample_clients(base: ClientBase, n: int, rng: random.Random) -> list[Client]:
    """n clients picked at random (with repeats), read in one pass over the base."""
    wanted = sorted(rng.randrange(len(base)) for _ in range(n))
    picked: list[Client] = []
    it = iter(wanted)
    target = next(it, None)
    for i, client in enumerate(base):
        while target == i:
            picked.append(client)
            target = next(it, None)
        if target is None:
            break
    rng.shuffle(picked)
    return picked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[10_000, 100_000], help="base sizes to run")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--recall", type=int, default=1000, help="queries checked against exhaustive scoring")
    parser.add_argument("--no-dictionary", action="store_true", help="skip the client dictionary's build and match")
    args = parser.parse_args()
    print(
        f"{'clients':>9} {'build s':>8} {'b.MB':>6} {'start s':>8} {'RSS MB':>7} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'dict s':>7} {'d.p50':>6} {'d.p95':>6} {'RSS end':>7} {'1st ms':>7} {'recall':>14}"
    )
    for size in args.clients:
        r = run(size, args.queries, min(args.recall, args.queries), not args.no_dictionary)
        print(
            f"{size:>9} {r['build_s']:>8.1f} {r['build_mb']:>6.0f} {r['start_s']:>8.2f} {r['rss_start_mb']:>7.0f} {r['p50_ms']:>7.2f} "
            f"{r['p95_ms']:>7.2f} {r.get('dict_build_s', 0):>7.1f} {r.get('dict_p50_ms', 0):>6.2f} "
            f"{r.get('dict_p95_ms', 0):>6.2f} {r['rss_mb']:>7.0f} {r['first_ms']:>7.0f} {r['recall']:>8.2%} of {r['recall_n']}",
            flush=True,
        )


if __name__ == "__main__":
    main()
