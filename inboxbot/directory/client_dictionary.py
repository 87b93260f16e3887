"""The client base as a dictionary of name forms, matched over the tokens of running text.

Every client is entered under the key tuples of its name (whole, in the outer quotes, the
innermost quoted name), of its `alt_names` and `former_names`, the «<first word> МК» short
form of a long name, and — where no other client shares them — the initials of a long name
(«ВМК»). It also answers by INN and by mail domain (`lookup`), so that extraction can name a
client the mail knows only by its address or its requisites (extract.base_company). `match` walks a text's tokens (name_forms.tokens) and returns the longest exact
form at each place, then near misses (rapidfuzz over the joined keys: «Фреш Лайн» ≈
«Fresh Line») where nothing matched exactly. Whether a hit is the sender or a company
merely mentioned is the reader's business (extract.client_search).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from rapidfuzz import fuzz

from inboxbot.directory.client import Client
from inboxbot.directory.name_forms import Token, abbreviated_forms, form_of, initials, is_common_word
from inboxbot.directory.names import innermost_quoted, outer_quoted, skeleton
from inboxbot.model.domains import normalize_domain

# Kinds of form, best first: a hit through the name itself beats one through a nested name.
KINDS = ("name", "quoted", "alt", "former", "short", "inner", "initials")
# A near miss counts from this score (0–100, rapidfuzz ratio over the joined keys): one
# transliteration slip in a two-word name («fresh laina» / «fresh lina») scores ≈ 91, a
# different second word («fresh market» / «fresh lina») ≈ 60.
NEAR_THRESHOLD = 86.0
# Forms a very common token belongs to are tried as near misses only up to this many.
_NEAR_CAP = 48
# Long-word tails read as initials: «… молочный комбинат» / «… мясокомбинат» → «… МК».
_COMPOUND_INITIALS = {"miasokombinat": "mk", "hlebokombinat": "hk", "molokozavod": "mz"}


@dataclass(frozen=True, slots=True)
class NameForm:
    """One form a client is known under: its keys, the client's index, the kind of form
    and the text it comes from; `weak` for a one-word form that is also an ordinary word."""

    keys: tuple[str, ...]
    owner: int
    kind: str
    text: str
    weak: bool = False


@dataclass(frozen=True, slots=True)
class FormHit:
    """Tokens [first, last] of the text matched `form` with `score` (100 when exact)."""

    form: NameForm
    first: int
    last: int
    score: float


def client_forms(owner: int, client: Client) -> list[NameForm]:
    """The forms of one client, without its initials (those need the whole base)."""
    texts: list[tuple[str, str]] = [("name", client.name)]
    outer = outer_quoted(client.name)
    if outer:
        texts.append(("quoted", outer))
        inner = innermost_quoted(client.name)
        if inner and inner != outer:
            texts.append(("inner", inner))
    texts.extend(("short", person) for person in _person_forms(client.name))
    texts.extend(("alt", alt) for alt in client.alt_names)
    texts.extend(("former", old) for old in client.former_names)
    forms: list[NameForm] = []
    seen: set[tuple[str, ...]] = set()
    for kind, text in texts:
        keys = form_of(text)
        if not keys or keys in seen:
            continue
        seen.add(keys)
        forms.append(NameForm(keys, owner, kind, text, weak=len(keys) == 1 and is_common_word(_core_word(text))))
        for short in (_short_form(keys), *abbreviated_forms(text)):
            if short is not None and short not in seen:
                seen.add(short)
                forms.append(NameForm(short, owner, "short", text))
    return forms


_SOLE_TRADER = re.compile(r"^\s*(?:ИП|ИНДИВИДУАЛЬНЫЙ\s+ПРЕДПРИНИМАТЕЛЬ|КФХ|ГЛАВА\s+КФХ)\s+([А-ЯЁ][а-яё-]+)\s+([А-ЯЁ][а-яё]+)(?:\s+([А-ЯЁ][а-яё]+))?\s*$", re.IGNORECASE)


def _person_forms(name: str) -> list[str]:
    """How a sole trader is written in mail: «ИП Гарипов Ренат Ильдарович» as «Гарипов Р.И.»,
    «Р.И. Гарипов», «Гарипов Ренат», «Ренат Гарипов» (a surname alone is anybody's)."""
    match = _SOLE_TRADER.match(name)
    if match is None:
        return []
    surname, first, patronymic = match.group(1), match.group(2), match.group(3)
    initials = f"{first[0]}. {patronymic[0]}." if patronymic else f"{first[0]}."
    return [f"{surname} {initials}", f"{initials} {surname}", f"{surname} {first}", f"{first} {surname}"]


def _core_word(text: str) -> str:
    return (innermost_quoted(text) or text).strip(" «»\"'„“")


def _short_form(keys: tuple[str, ...]) -> tuple[str, ...] | None:
    """«вологодский молочный комбинат» → («вологодский», «мк»); «вологодский мясокомбинат» →
    («вологодский», «мк»): the first word kept, the rest as initials (2–3 letters)."""
    if len(keys) == 2 and keys[1] in _COMPOUND_INITIALS:
        return (keys[0], _COMPOUND_INITIALS[keys[1]])
    if len(keys) in (3, 4):
        return (keys[0], "".join(k[0] for k in keys[1:]))
    return None


def _near_token(got: str, want: str) -> bool:
    """A token of a near miss: a number exactly (hospital № 3 is not № 25), a word at
    most a letter or two off («laina» / «lina») or cut short («мол.» for «молочный»),
    never a different short word («re» / «mir»)."""
    if got == want:
        return True
    if got.isdigit() or want.isdigit():
        return False
    return fuzz.ratio(got, want) >= 75 or (len(got) >= 3 and want.startswith(got))


class FormTable(Protocol):
    """The forms of every client, by their keys: in memory (`MemoryForms`) or in the
    on-disk client index (inboxbot.directory.stored_forms)."""

    def exact(self, keys: tuple[str, ...]) -> Sequence[NameForm]:
        """Forms with exactly these keys, in base order."""

    def lengths(self, first: str) -> Sequence[int]:
        """Lengths of the forms starting with this key, longest first."""

    def near(self, key: str, limit: int) -> Sequence[tuple[NameForm, int]]:
        """Up to `limit` forms of two or more keys holding `key`, with its position, in base order."""

    def initial(self, acronym: str) -> int | None:
        """The one client whose long name has these capital initials."""


def all_forms(clients: Iterable[Client]) -> Iterator[NameForm]:
    for owner, client in enumerate(clients):
        yield from client_forms(owner, client)


def unique_initials(clients: Iterable[Client]) -> dict[str, int]:
    """Initials of long names that stand for one client only: «ВМК» of two bases is nobody."""
    acronyms: dict[str, set[int]] = {}
    for owner, client in enumerate(clients):
        for text in (client.name, outer_quoted(client.name) or ""):
            acronym = initials(text)
            if acronym:
                acronyms.setdefault(acronym, set()).add(owner)
    return {a: next(iter(o)) for a, o in acronyms.items() if len(o) == 1}


class MemoryForms:
    """Every form of a (small) base in dictionaries."""

    def __init__(self, clients: Sequence[Client]) -> None:
        self._exact: dict[tuple[str, ...], list[NameForm]] = {}
        self._lengths: dict[str, list[int]] = {}  # first key → form lengths, longest first
        self._near: dict[str, list[tuple[NameForm, int]]] = {}  # key → (form, position)
        for form in all_forms(clients):
            self._add(form)
        self._initials = unique_initials(clients)
        for lengths in self._lengths.values():
            lengths.sort(reverse=True)

    def _add(self, form: NameForm) -> None:
        same = self._exact.setdefault(form.keys, [])
        same.append(form)
        if len(same) == 1:
            lengths = self._lengths.setdefault(form.keys[0], [])
            if len(form.keys) not in lengths:
                lengths.append(len(form.keys))
        if len(form.keys) >= 2:
            for position, key in enumerate(form.keys):
                self._near.setdefault(key, []).append((form, position))

    def exact(self, keys: tuple[str, ...]) -> Sequence[NameForm]:
        return self._exact.get(keys, ())

    def lengths(self, first: str) -> Sequence[int]:
        return self._lengths.get(first, ())

    def near(self, key: str, limit: int) -> Sequence[tuple[NameForm, int]]:
        return self._near.get(key, [])[:limit]

    def initial(self, acronym: str) -> int | None:
        return self._initials.get(acronym)


class ClientLookup(Protocol):
    """The base's clients by INN and by one exact (normalised) mail domain: the client
    store's own indexes (directory.client_store, directory.stored_base)."""

    def by_inn(self, inn: str) -> Client | None: ...

    def at_domain(self, domain: str) -> tuple[Client, ...]: ...


class MemoryLookup:
    """INN and domain indexes of a (small) base held in memory."""

    def __init__(self, clients: Sequence[Client]) -> None:
        self._by_inn: dict[str, Client] = {}
        self._by_domain: dict[str, list[Client]] = {}
        for client in clients:
            if client.inn:
                self._by_inn.setdefault(client.inn, client)
            for domain in client.domains:
                self._by_domain.setdefault(normalize_domain(domain), []).append(client)

    def by_inn(self, inn: str) -> Client | None:
        return self._by_inn.get(inn)

    def at_domain(self, domain: str) -> tuple[Client, ...]:
        return tuple(self._by_domain.get(domain, ()))


class ClientDictionary:
    """Name forms of every client of a base, for matching over running text, and the
    base's INN and domain indexes (`lookup`)."""

    def __init__(self, clients: Sequence[Client], forms: FormTable | None = None, lookup: ClientLookup | None = None) -> None:
        self.clients = clients
        self._forms: FormTable = forms if forms is not None else MemoryForms(clients)
        self.lookup: ClientLookup = lookup if lookup is not None else MemoryLookup(clients)

    def forms(self, keys: tuple[str, ...]) -> tuple[NameForm, ...]:
        return tuple(self._forms.exact(keys))

    def initials_of(self, token: str) -> NameForm | None:
        """The client whose long name has these capital initials, the only one in the base."""
        owner = self._forms.initial(token)
        if owner is None:
            return None
        return NameForm((skeleton(token.lower()),), owner, "initials", token)

    def match(self, toks: Sequence[Token]) -> list[FormHit]:
        """Forms found in a token sequence (one line of text: the caller cuts lines, so a
        form never spans two): the longest exact form at each place, then near misses over
        what is left, then capital initials. Legal forms and generic words between a
        name's words are skipped, as in the name itself."""
        stream: list[tuple[str, int]] = [(key, i) for i, tok in enumerate(toks) for key in tok.keys]
        keys = [k for k, _ in stream]
        hits: list[FormHit] = []
        covered: set[int] = set()
        i = 0
        while i < len(stream):
            for length in self._forms.lengths(keys[i]):
                found = self._forms.exact(tuple(keys[i : i + length])) if i + length <= len(keys) else None
                if found:
                    hits.extend(FormHit(f, stream[i][1], stream[i + length - 1][1], 100.0) for f in found)
                    covered.update(range(i, i + length))
                    i += length
                    break
            else:
                i += 1
        hits.extend(self._near_misses(stream, keys, covered))
        for t, tok in enumerate(toks):
            form = self.initials_of(tok.raw) if tok.raw.isupper() and len(tok.raw) >= 3 else None
            if form is not None:
                hits.append(FormHit(form, t, t, 100.0))
        return hits

    def _near_misses(self, stream: list[tuple[str, int]], keys: list[str], covered: set[int]) -> list[FormHit]:
        hits: list[FormHit] = []
        tried: set[tuple[NameForm, int]] = set()
        for i, key in enumerate(keys):
            if i in covered:
                continue
            for form, position in self._forms.near(key, _NEAR_CAP):
                start = i - position
                end = start + len(form.keys)
                if start < 0 or end > len(keys) or covered.intersection(range(start, end)):
                    continue
                # By value: a stored form is read anew on each look-up (forms are unique per
                # owner and keys, so equal values are the same form).
                if (form, start) in tried:
                    continue
                tried.add((form, start))
                span = keys[start:end]
                if not all(_near_token(a, b) for a, b in zip(span, form.keys, strict=True)):
                    continue
                score = fuzz.ratio(" ".join(span), " ".join(form.keys))
                if score >= NEAR_THRESHOLD:
                    hits.append(FormHit(form, stream[start][1], stream[end - 1][1], round(score, 1)))
        return hits
