"""A blocked index over company-name keys that finds the best-scoring client name among a
million in about a millisecond (keys and scores: inboxbot.directory.names)."""

from __future__ import annotations

import math
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from inboxbot.directory.names import INNER_PENALTY, KIND_INNER, score_keys, sorted_tokens

if TYPE_CHECKING:  # numpy is imported where the index is built or searched: `inboxbot check` never needs it
    import numpy as np
    import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class Hit:
    """One scored key: owner index, key kind and score after the inner-name penalty."""

    owner: int
    kind: int
    score: float


def _trigrams(token: str) -> set[str]:
    padded = f"^{token}$"
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def _deletes(token: str) -> list[str]:
    return [token[:i] + token[i + 1 :] for i in range(len(token))]


def form_hash(form: str) -> int:
    """A 64-bit hash of a deletion form that is the same in every process (str's hash is
    salted per process, and the arrays may be stored in the on-disk index)."""
    data = form.encode()
    value = (zlib.crc32(data) << 32) | zlib.adler32(data)
    return value - (1 << 64) if value >= 1 << 63 else value


class PackedStrings(Sequence[str]):
    """Strings stored back to back in one UTF-8 buffer: a million keys in 20 MB, not 80."""

    def __init__(self, data: bytes, offsets: npt.NDArray[np.int64]) -> None:
        self._data = data
        self._offsets = offsets

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, i: int) -> str:  # type: ignore[override]
        return self._data[int(self._offsets[i]) : int(self._offsets[i + 1])].decode()

    def __iter__(self) -> Iterator[str]:
        return (self[i] for i in range(len(self)))

    def take(self, ids: npt.NDArray[np.int32]) -> list[str]:
        """The strings at `ids`, reading the offsets in one go."""
        data = self._data
        starts, ends = self._offsets[ids].tolist(), self._offsets[ids + 1].tolist()
        return [data[a:b].decode() for a, b in zip(starts, ends, strict=True)]


# NameIndex attributes set on the first search: built from the entries, or read from disk.
ARRAYS = (
    "_owners", "_kinds", "_entry_offsets", "_key_len", "_postings", "_offsets", "_del_hash", "_del_tok",
    "_tri_postings", "_tri_offsets", "_tri_count",
)  # fmt: skip
_LAZY = frozenset({*ARRAYS, "_tri_ids", "_keys", "_vocab"})


class NameIndex:
    """Blocked fuzzy index over name keys.

    Blocking: an inverted index from skeleton token to the keys holding it (CSR arrays, a
    few bytes per posting), widened for typos by a one-deletion neighbourhood of every
    vocabulary token (SymSpell: two words one edit apart — substitution, insertion,
    deletion or swap — share a one-deletion form), and for spacing by joining adjacent query
    tokens and splitting a query token in two. Posting lists are taken rarest first up to a
    cap; keys sharing the most query tokens are scored exactly with rapidfuzz.
    """

    # How many postings one query may read, and how many keys it scores exactly.
    POSTINGS_CAP = 60_000
    SCORED = 256

    def __init__(self, entries: Iterable[tuple[int, int, str]]) -> None:
        """entries: (owner, kind, key) — owner is the caller's index of the client."""
        # Identical keys are stored once («ООО Альянс» and «АО Альянс» in ten regions are
        # one key with many owners): blocking then picks distinct names, not copies.
        key_ids: dict[str, int] = {}
        keys: list[str] = []
        entry_key: list[int] = []
        entry_owner: list[int] = []
        entry_kind: list[int] = []
        vocab: dict[str, int] = {}
        post_tok: list[int] = []
        post_key: list[int] = []
        for owner, kind, key in entries:
            kid = key_ids.setdefault(key, len(keys))
            if kid == len(keys):
                keys.append(key)
                for token in set(key.split()):
                    tid = vocab.setdefault(token, len(vocab))
                    post_tok.append(tid)
                    post_key.append(kid)
            entry_key.append(kid)
            entry_owner.append(owner)
            entry_kind.append(kind)
        del key_ids
        self._keys = keys
        self._vocab = vocab
        # Sorted-token and space-free forms of every key, built on the first exhaustive search.
        self._forms: tuple[list[str], list[str]] | None = None
        # The arrays are built on the first search, not here: loading the client base (as
        # `inboxbot check` does) then costs neither numpy's import nor the arrays' time.
        self._pending: Callable[[], dict[str, Any]] | None = lambda: self._build(
            entry_key, entry_owner, entry_kind, post_tok, post_key
        )
        self._lock = threading.Lock()

    @classmethod
    def stored(cls, load: Callable[[], dict[str, Any]]) -> NameIndex:
        """An index whose keys, vocabulary and arrays `load` reads (from the on-disk client
        index) on the first search — the same names as `parts` returns."""
        index = cls.__new__(cls)
        index._forms = None
        index._pending = load
        index._lock = threading.Lock()
        return index

    def parts(self) -> dict[str, Any]:
        """Keys, vocabulary (token → id), trigram ids and the arrays, for storing on disk."""
        return {name: getattr(self, name) for name in sorted(_LAZY)}

    def __getattr__(self, name: str) -> Any:
        # Called only for attributes not set yet: the arrays, before the first search.
        if name not in _LAZY or "_pending" not in self.__dict__:
            raise AttributeError(name)
        with self._lock:
            if self._pending is not None:
                self.__dict__.update(self._pending())
                self._pending = None
        return self.__dict__[name]

    def _build(
        self, entry_key: list[int], entry_owner: list[int], entry_kind: list[int], post_tok: list[int], post_key: list[int]
    ) -> dict[str, Any]:
        import numpy as np

        a: dict[str, Any] = {}

        keys, vocab = self._keys, self._vocab
        # Owners and kinds of each key: CSR over entries sorted by key id.
        by_key = np.asarray(entry_key, dtype=np.int32)
        order = np.argsort(by_key, kind="stable")
        a["_owners"] = np.asarray(entry_owner, dtype=np.int32)[order]
        a["_kinds"] = np.asarray(entry_kind, dtype=np.int16)[order]
        a["_entry_offsets"] = np.zeros(len(keys) + 1, dtype=np.int64)
        np.cumsum(np.bincount(by_key, minlength=len(keys)), out=a["_entry_offsets"][1:])
        a["_key_len"] = np.fromiter((len(k) for k in keys), dtype=np.int16, count=len(keys))
        tok = np.asarray(post_tok, dtype=np.int32)
        order = np.argsort(tok, kind="stable")
        a["_postings"] = np.asarray(post_key, dtype=np.int32)[order]
        a["_offsets"] = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(np.bincount(tok, minlength=len(vocab)), out=a["_offsets"][1:])
        # One-deletion forms of the vocabulary, as sorted 64-bit hashes (str
        # objects for millions of forms would cost hundreds of MB). A hash collision only
        # adds a candidate, which exact scoring then rejects.
        del_hash: list[int] = []
        del_tok: list[int] = []
        for token, tid in vocab.items():
            # Every token under its own form (so a query's deletions find short tokens:
            # «rikg» → «rik»), tokens of 4+ letters also under their deletions.
            for form in {token, *_deletes(token)} if len(token) >= 4 else (token,):
                del_hash.append(form_hash(form))
                del_tok.append(tid)
        hashes = np.asarray(del_hash, dtype=np.int64)
        order = np.argsort(hashes, kind="stable")
        a["_del_hash"] = hashes[order]
        a["_del_tok"] = np.asarray(del_tok, dtype=np.int32)[order]
        # Character trigrams of the vocabulary, for a query token more than one edit away
        # from every known token (two typos, a garbled compound «хлеберкенисейс»).
        tri_ids: dict[str, int] = {}
        tri_of: list[int] = []
        tri_tok: list[int] = []
        tri_count = np.zeros(len(vocab), dtype=np.int16)
        for token, tid in vocab.items():
            grams = _trigrams(token)
            tri_count[tid] = len(grams)
            for gram in grams:
                tri_of.append(tri_ids.setdefault(gram, len(tri_ids)))
                tri_tok.append(tid)
        tri = np.asarray(tri_of, dtype=np.int32)
        order = np.argsort(tri, kind="stable")
        a["_tri_ids"] = tri_ids
        a["_tri_postings"] = np.asarray(tri_tok, dtype=np.int32)[order]
        a["_tri_offsets"] = np.zeros(len(tri_ids) + 1, dtype=np.int64)
        np.cumsum(np.bincount(tri, minlength=len(tri_ids)), out=a["_tri_offsets"][1:])
        a["_tri_count"] = tri_count
        return a

    def __len__(self) -> int:
        return len(self._keys)

    def key(self, kid: int) -> str:
        return self._keys[kid]

    def _neighbours(self, token: str) -> dict[int, float]:
        """Vocabulary token ids that may stand for `token`, with how sure that is: 1 for the
        token itself, 0.85 one edit away, 0.8 × trigram similarity further away."""
        found: dict[int, float] = {}
        tid = self._vocab.get(token)
        if tid is not None:
            found[tid] = 1.0
        if len(token) < 3:
            return found
        # A three-letter token is looked up as it is: it finds four-letter tokens one
        # deletion away («име» → «виме»); its own deletions would match half the vocabulary.
        forms = {token} if len(token) == 3 else {token, *_deletes(token)}
        import numpy as np

        hashes = np.asarray([form_hash(f) for f in forms], dtype=np.int64)
        lo = np.searchsorted(self._del_hash, hashes, side="left")
        hi = np.searchsorted(self._del_hash, hashes, side="right")
        for a, b in zip(lo.tolist(), hi.tolist(), strict=True):
            for near in self._del_tok[a:b].tolist():
                found.setdefault(near, 0.85)
        if tid is None and len(token) >= 5:
            for near, dice in self._similar_tokens(token):
                found.setdefault(near, 0.8 * dice)
        return found

    def _similar_tokens(self, token: str) -> list[tuple[int, float]]:
        """Vocabulary tokens sharing at least 40 % of their trigrams (Dice) with `token`,
        the 32 closest; reads the rarest trigram lists first, up to the postings cap."""
        import numpy as np

        grams = _trigrams(token)
        spans = sorted(
            (
                (int(self._tri_offsets[g]), int(self._tri_offsets[g + 1]))
                for g in (self._tri_ids.get(x) for x in grams)
                if g is not None
            ),
            key=lambda span: span[1] - span[0],
        )
        lists: list[npt.NDArray[np.int32]] = []
        total = 0
        for start, end in spans:
            if lists and total + end - start > self.POSTINGS_CAP:
                break
            lists.append(self._tri_postings[start:end])
            total += end - start
        if not lists:
            return []
        ids, shared = np.unique(np.concatenate(lists), return_counts=True)
        dice = 2.0 * shared / (len(grams) + self._tri_count[ids])
        good = np.nonzero(dice >= 0.4)[0]
        best = good[np.argsort(-dice[good], kind="stable")[:32]]
        return [(int(ids[i]), float(dice[i])) for i in best]

    def _query_tokens(self, tokens: Sequence[str]) -> list[dict[int, float]]:
        """Per query token, the vocabulary ids that may stand for it; plus joined pairs
        («зоо маркет» → «зоомаркет») and splits («зоомаркет» → «зоо», «маркет»)."""
        groups = [self._neighbours(t) for t in tokens]
        for a, b in pairwise(tokens):
            joined = self._vocab.get(a + b)
            if joined is not None:
                groups.append({joined: 1.0})
        for t in tokens:
            if len(t) < 6:
                continue
            for i in range(3, len(t) - 2):
                left, right = self._vocab.get(t[:i]), self._vocab.get(t[i:])
                if left is not None and right is not None:
                    groups.append({left: 0.9, right: 0.9})
        return groups

    def candidates(self, key: str) -> npt.NDArray[np.int32]:
        """Key ids worth scoring for a query key, at most SCORED of them: those whose
        tokens match the query's best, a match counting by how sure it is (exact, one
        edit, similar) and how rare the token is (idf), so that a key sharing a rare brand
        beats thousands sharing «Трейд»."""
        import numpy as np

        tokens = key.split()
        if not tokens or not len(self._keys):
            return np.zeros(0, dtype=np.int32)
        spans: list[tuple[int, int, float]] = []
        for group in self._query_tokens(tokens):
            # Rarity of the query token as a whole (all its stand-ins together), so that a
            # rare misspelt neighbour never outweighs the token itself.
            ranges = [(int(self._offsets[t]), int(self._offsets[t + 1]), sure) for t, sure in group.items()]
            idf = math.log1p(len(self._keys) / max(sum(end - start for start, end, _ in ranges), 1))
            spans.extend((start, end, sure * idf) for start, end, sure in ranges)
        spans.sort(key=lambda s: s[1] - s[0])  # rarest first: they discriminate
        lists: list[npt.NDArray[np.int32]] = []
        weights: list[npt.NDArray[np.float64]] = []
        total = 0
        for start, end, weight in spans:
            size = end - start
            if lists and total + size > self.POSTINGS_CAP:
                break
            # A single huge list (a word in every tenth name) is read only up to the cap.
            part = self._postings[start : min(end, start + self.POSTINGS_CAP)]
            lists.append(part)
            weights.append(np.full(len(part), weight))
            total += size
        if not lists:
            return np.zeros(0, dtype=np.int32)
        ids, inverse = np.unique(np.concatenate(lists), return_inverse=True)
        if len(ids) <= self.SCORED:
            return ids.astype(np.int32)
        evidence = np.bincount(inverse, weights=np.concatenate(weights))
        # Among equal evidence, keys of about the query's length.
        closeness = np.abs(self._key_len[ids].astype(np.float64) - len(key))
        rank = evidence - 0.001 * closeness
        top = np.argpartition(-rank, self.SCORED)[: self.SCORED]
        return ids[top].astype(np.int32)

    def search(self, key: str, *, threshold: float, exhaustive: bool = False) -> list[Hit]:
        """Hits at or above `threshold`, best per owner, best first. `exhaustive` scores
        every key (for tests and the benchmark's recall check)."""
        import numpy as np

        if not key:
            return []
        if exhaustive:
            kids = np.arange(len(self._keys), dtype=np.int32)
            if self._forms is None:
                self._forms = ([sorted_tokens(k) for k in self._keys], [k.replace(" ", "") for k in self._keys])
            sorted_keys, squeezed = self._forms
            scores = score_keys(key, self._keys, sorted_keys=sorted_keys, squeezed=squeezed, cutoff=threshold)
        else:
            kids = self.candidates(key)
            if not len(kids):
                return []
            keys = self._keys
            chosen = keys.take(kids) if isinstance(keys, PackedStrings) else [keys[k] for k in kids.tolist()]
            scores = score_keys(key, chosen, cutoff=threshold)
        keep = np.nonzero(scores >= threshold)[0]
        best: dict[int, Hit] = {}
        for i in keep.tolist():
            kid = int(kids[i])
            start, end = int(self._entry_offsets[kid]), int(self._entry_offsets[kid + 1])
            for owner, kind in zip(self._owners[start:end].tolist(), self._kinds[start:end].tolist(), strict=True):
                value = float(scores[i]) - (INNER_PENALTY if kind == KIND_INNER else 0.0)
                if value >= threshold and (owner not in best or value > best[owner].score):
                    best[owner] = Hit(owner, kind, value)
        return sorted(best.values(), key=lambda h: (-h.score, h.owner))
