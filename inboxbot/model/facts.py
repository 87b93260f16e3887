"""What extraction knows about a mail: typed facts, each with the evidence it came from."""

from __future__ import annotations

from dataclasses import dataclass, field

from inboxbot.mail.message import Address

# Where a fact was found, in the words the explanation uses ("ИНН … из подписи").
SOURCE_WORDS: dict[str, str] = {
    "body": "из текста письма",
    "signature": "из подписи",
    "quote": "из цитаты",
    "forwarded": "из пересланного письма",
    "attachment": "из вложения",
    "subject": "из темы письма",
    "header": "из заголовков письма",
    "domain": "по домену отправителя",
    "client_base": "из базы клиентов",
}


@dataclass(frozen=True, slots=True)
class Evidence:
    """A place in the mail. `start`/`end` are offsets into the text of `source`
    (-1 when the fact is not a span of text, e.g. a domain); `detail` names the
    attachment or the client-base file and row."""

    source: str
    text: str
    start: int = -1
    end: int = -1
    detail: str = ""

    def describe(self) -> str:
        words = SOURCE_WORDS.get(self.source, self.source)
        return f"{words} «{self.detail}»" if self.detail and self.source == "attachment" else words


@dataclass(frozen=True, slots=True)
class Requisite:
    """A checked company identifier: kind is inn | kpp | ogrn | ogrnip."""

    kind: str
    value: str
    evidence: Evidence
    labelled: bool = False

    @property
    def region_code(self) -> str:
        return self.value[:2]


@dataclass(frozen=True, slots=True)
class UnusedRequisite:
    """A number the mail shows as an identifier that did not become the sender's: `why`
    says so in Russian, ready for the decision's reasons («не проходит проверку
    контрольных цифр — не использован»)."""

    kind: str
    value: str
    why: str
    evidence: Evidence
    label: str = ""

    @property
    def note(self) -> str:
        return f"{(self.label or self.kind.upper()).strip()} {self.value} {self.why}"


@dataclass(frozen=True, slots=True)
class Company:
    name: str
    core: str
    legal_form: str | None = None
    inn: str | None = None
    kpp: str | None = None
    ogrn: str | None = None
    country: str | None = None
    evidence: tuple[Evidence, ...] = ()
    confidence: float = 0.5
    # A state or municipal institution or unitary enterprise by its legal form
    # (ГБУЗ, МАДОУ, ФГУП …; not АО/ПАО with state shares, not АНО/ЧОУ): scenario §5.
    public_sector: bool = False


@dataclass(frozen=True, slots=True)
class Region:
    """A subject of the Russian Federation. `how` says which clue gave it:
    client_base | inn | kpp | ogrn | address | city | phone | domain."""

    code: str
    name: str
    district: str
    how: str
    evidence: Evidence | None = None
    confidence: float = 0.5


@dataclass(frozen=True, slots=True)
class Person:
    """A person named in the mail. role: addressee (greeted or asked to be passed the
    mail), sender (signs it), mentioned (anyone else)."""

    name: str
    text: str
    role: str
    evidence: Evidence


@dataclass(frozen=True, slots=True)
class NamedClient:
    """A client of the base the mail names as its sender by one of the base's own name
    forms (extract.client_search): the base's name, file and line to find it again, the
    form that matched (`kind`: name, quoted, alt, former, short, inner, initials), how
    close (`score`, 100 when exact) and where it stands."""

    name: str
    inn: str | None
    file: str
    line: int
    form: str
    kind: str
    score: float
    evidence: Evidence
    region_code: str | None = None  # the base's region of the client


@dataclass(frozen=True, slots=True)
class Facts:
    client_address: Address | None = None
    forwarded_by: Address | None = None
    company: Company | None = None
    mentioned_companies: tuple[Company, ...] = ()
    requisites: tuple[Requisite, ...] = ()
    unused_requisites: tuple[UnusedRequisite, ...] = ()
    region: Region | None = None
    region_candidates: tuple[Region, ...] = ()
    country: str | None = None
    people: tuple[Person, ...] = ()
    # Clients of the base named as the sender, best first: one is the sender's client, more
    # than one are equally likely and none decides (the dictionary search, client_search).
    named_clients: tuple[NamedClient, ...] = ()
    purchase_law: str | None = None
    language: str = "ru"
    new_text: str = ""
    signature: str = ""
    quoted: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def inn(self) -> Requisite | None:
        """The sender's INN, if one was found."""
        for req in self.requisites:
            if req.kind == "inn" and self.company is not None and req.value == self.company.inn:
                return req
        return None
