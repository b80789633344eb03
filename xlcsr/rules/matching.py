"""Which row of one register state is which row of another, and what changed between them.

    >>> old = [RowState(4, {"case_no": "CSR-2026-0001", "customer": "比亚迪", "requirement": "PPAP 3级"})]
    >>> new = [RowState(4, {"case_no": "CSR-2026-0009", "customer": "比亚迪", "requirement": "PPAP 3级"})]
    >>> [(d.action, d.before, d.after) for d in deltas(old, new)]
    [(<Action.RENUMBERED: '重新编号'>, 'CSR-2026-0001', 'CSR-2026-0009')]

Both sides are in sheet order; positions are reported, never compared, so a re-sort or an inserted
row changes nothing else. Rows pair, in this order:

1. by a case number that is unique on each side;
2. by their whole content, the nearest first (rows of a case number used twice among them; what is
   left of such a number then pairs its first rows by number);
3. by their content without the case number (a renumbering, a number given or cleared);
4. by similarity (`FLOORS`: half of their non-empty fields but the number equal, the requirement
   among them, or nearly all with the customer among them) between the same paired neighbours, then
   between the same rows paired by number; then anywhere, with the same requirement, more strictly.

What pairs with nothing is added or removed. A number that changed is a renumbering, one cleared too
(with after ""); a number given to an unnumbered row is an edit of case_no.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from xlcsr.domain.changes import Action, RowState
from xlcsr.domain.fields import FIELDS

CASE = "case_no"
KEYS = ("customer", "requirement")  # a similar row shares one of them
# The share of the union of two rows' non-empty fields (but the number) that must be equal for them to
# pair, by (found between the same paired neighbours, same requirement): a reworded row needs nearly all
# the rest and its neighbours; one found elsewhere, its requirement.
FLOORS = {(True, True): 0.5, (True, False): 0.8, (False, True): 0.75}
SLOT_FLOOR = 0.5  # an unnumbered row alone between the same paired neighbours on both sides: its slot, reworded
BAND = 16  # rows either side of where a row between the same neighbours is expected
BUCKET = 16  # candidates looked at for a row found anywhere else
GREEDY = 4096  # largest group of identical rows paired nearest first (larger ones pair in order)
SUMMARY_WIDTH = 40
SEPARATOR, ELLIPSIS = " · ", "…"
_ORDER = {f.key: i for i, f in enumerate(FIELDS)}


@dataclass
class Matching:
    """The rows of `new` paired with rows of `old` (indexes into each), and those with no counterpart."""

    pairs: list[tuple[int, int]]  # (index in old, index in new), in new order
    added: list[int]  # indexes in new, in order
    removed: list[int]  # indexes in old, in order


class Delta(NamedTuple):
    """One difference: a field edited, a row added or removed, a case renumbered.

    For ADDED and REMOVED, `after` or `before` holds the row's `summary`.
    """

    action: Action
    old: RowState | None
    new: RowState | None
    field: str = ""
    before: str = ""
    after: str = ""


def match_rows(old: Sequence[RowState], new: Sequence[RowState]) -> Matching:
    """Pair the rows of two states of a register (see the module's docstring)."""
    return _Matcher(old, new).run()


def deltas(old: Sequence[RowState], new: Sequence[RowState], matching: Matching | None = None) -> list[Delta]:
    """Every difference, in new-sheet order; a removed row comes after the new row of the old row above it."""
    if matching is None:
        matching = match_rows(old, new)
    to_new = dict(matching.pairs)
    # (new row it is or follows, 0 the row itself / 1 after it, old row, its deltas), sorted into sheet order
    events = [(n, 0, 0, edits(old[o], new[n])) for o, n in matching.pairs if old[o].fields != new[n].fields]
    events += [(n, 0, 0, [Delta(Action.ADDED, None, new[n], after=summary(new[n]))]) for n in matching.added]
    gone, anchor = set(matching.removed), -1
    for o in sorted(gone):
        if o - 1 not in gone:
            anchor = to_new.get(o - 1, -1)
        events.append((anchor, 1, o, [_removed(old[o])]))
    events.sort(key=lambda event: event[:3])
    return [delta for *_, found in events for delta in found]


def edits(old: RowState, new: RowState) -> list[Delta]:
    """The fields of a paired row whose text differs, in FIELDS order; a changed or cleared number is a renumbering."""
    a, b = old.fields, new.fields
    found = []
    for key in sorted(a.keys() | b.keys(), key=lambda k: (_ORDER.get(k, len(_ORDER)), k)):
        before, after = a.get(key, ""), b.get(key, "")
        if before != after:
            action = Action.RENUMBERED if key == CASE and before else Action.EDIT
            found.append(Delta(action, old, new, key, before, after))
    return found


def summary(state: RowState) -> str:
    """A row in a few words: its case number, customer and requirement (cut to `SUMMARY_WIDTH`)."""
    f = state.fields
    parts = [_cut(f.get(key, "")) for key in (CASE, *KEYS)]
    parts = [p for p in parts if p] or [_cut(f[k.key]) for k in FIELDS if f.get(k.key)][:1]
    return SEPARATOR.join(parts)


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text[:SUMMARY_WIDTH] + ELLIPSIS if len(text) > SUMMARY_WIDTH else text


def _removed(state: RowState) -> Delta:
    return Delta(Action.REMOVED, state, None, before=summary(state))


class _Profile(NamedTuple):
    items: frozenset[tuple[str, str]]  # the non-empty fields but the case number
    keys: frozenset[str]


def _profile(state: RowState) -> _Profile:
    items = frozenset((k, v) for k, v in state.fields.items() if v and k != CASE)
    return _Profile(items, frozenset(k for k, _ in items))


def _with_number(state: RowState) -> Hashable:
    return frozenset((k, v) for k, v in state.fields.items() if v)


def _without_number(state: RowState) -> Hashable:
    return frozenset((k, v) for k, v in state.fields.items() if v and k != CASE)


class _Matcher:
    def __init__(self, old: Sequence[RowState], new: Sequence[RowState]):
        self.old, self.new = old, new
        self.o2n = [-1] * len(old)
        self.n2o = [-1] * len(new)
        self.profiles: dict[tuple[int, int], _Profile] = {}
        self.numbered: list[int] = []  # the new rows paired by their case number

    def run(self) -> Matching:
        doubled = self._by_number()
        expected = self._expected()
        self._exact(_with_number, expected)
        if doubled:
            self._first_of_doubled(doubled)
        self._exact(_without_number, expected)
        self._near([n for n, o in enumerate(self.n2o) if o >= 0])
        self._near(sorted(self.numbered))
        self._far(self._expected())
        return Matching([(o, n) for n, o in enumerate(self.n2o) if o >= 0],
                        [n for n, o in enumerate(self.n2o) if o < 0],
                        [o for o, n in enumerate(self.o2n) if n < 0])

    def _pair(self, o: int, n: int) -> None:
        self.o2n[o], self.n2o[n] = n, o

    def _by_number(self) -> set[str]:
        """Pair by the numbers unique on each side; return those used twice on a side."""
        old_numbers, new_numbers = _numbers(self.old), _numbers(self.new)
        first_old, doubled_old = _firsts(old_numbers)
        doubled = doubled_old | _firsts(new_numbers)[1]
        for number in doubled:
            first_old.pop(number, None)
        n2o = self.n2o = [first_old.get(number, -1) for number in new_numbers]
        o2n = self.o2n
        for n, o in enumerate(n2o):
            if o >= 0:
                o2n[o] = n
        self.numbered = [n for n, o in enumerate(n2o) if o >= 0]
        return doubled

    def _first_of_doubled(self, doubled: set[str]) -> None:
        firsts: list[dict[str, int]] = [{}, {}]
        for side, rows, taken in ((0, self.old, self.o2n), (1, self.new, self.n2o)):
            for i, state in enumerate(rows):
                number = state.fields.get(CASE)
                if number in doubled and taken[i] < 0:
                    firsts[side].setdefault(number, i)
        for number, o in firsts[0].items():
            n = firsts[1].get(number)
            if n is not None:
                self._pair(o, n)
                self.numbered.append(n)

    def _expected(self) -> dict[int, int]:
        """Where each unpaired old row would be in new: below the new row of the paired old row above it."""
        expected: dict[int, int] = {}
        o2n = self.o2n
        for o in [o for o, n in enumerate(o2n) if n < 0]:
            expected[o] = expected[o - 1] + 1 if o - 1 in expected else (o2n[o - 1] + 1 if o else 0)
        return expected

    def _exact(self, key: Callable[[RowState], Hashable], expected: dict[int, int]) -> None:
        """Pair rows of equal content, each group of identical rows nearest first."""
        olds: dict[Hashable, list[int]] = defaultdict(list)
        for o in [o for o, n in enumerate(self.o2n) if n < 0]:
            olds[key(self.old[o])].append(o)
        if not olds:
            return
        news: dict[Hashable, list[int]] = defaultdict(list)
        for n in [n for n, o in enumerate(self.n2o) if o < 0]:
            k = key(self.new[n])
            if k in olds:
                news[k].append(n)
        for k, ns in news.items():
            os = olds[k]
            if len(os) == 1 and len(ns) == 1:
                self._pair(os[0], ns[0])
            elif len(os) * len(ns) <= GREEDY:
                self._greedy(sorted((abs(expected[o] - n), o, n) for o in os for n in ns))
            else:
                for o, n in zip(sorted(os, key=expected.__getitem__), ns):
                    self._pair(o, n)

    def _greedy(self, candidates: list[tuple]) -> None:
        for *_, o, n in candidates:
            if self.o2n[o] < 0 and self.n2o[n] < 0:
                self._pair(o, n)

    def _score(self, o: int, n: int, near: bool, slot: bool = False) -> float:
        """The share of equal fields, or 0 when below the floor for such a pair (see `FLOORS`; `slot`: the
        only row between the same neighbours on both sides, `SLOT_FLOOR` with the customer equal)."""
        a, b = self.old[o].fields, self.new[n].fields
        requirement = a.get("requirement")
        same = bool(requirement) and requirement == b.get("requirement")
        if not same and not (a.get("customer") and a.get("customer") == b.get("customer")):
            return 0.0
        pa, pb = self._prof(0, o, self.old[o]), self._prof(1, n, self.new[n])
        score = len(pa.items & pb.items) / len(pa.keys | pb.keys)
        unnumbered = CASE not in a and CASE not in b  # a numbered row is its number, never a slot
        floor = SLOT_FLOOR if slot and unnumbered else FLOORS.get((near, same))
        return score if floor is not None and score >= floor else 0.0

    def _prof(self, side: int, i: int, state: RowState) -> _Profile:
        found = self.profiles.get((side, i))
        if found is None:
            found = self.profiles[(side, i)] = _profile(state)
        return found

    def _near(self, anchors: list[int]) -> None:
        """Pair rows lying between the same `anchors` (paired new rows, in order) on both sides, when similar."""
        o2n, n2o = self.o2n, self.n2o
        size, count = len(self.old), len(self.new)
        candidates = []
        for m in [n for n, o in enumerate(n2o) if o < 0]:
            i = bisect_left(anchors, m)
            prev, nxt = anchors[i - 1] if i else -1, anchors[i] if i < len(anchors) else count
            above, below = n2o[prev] if prev >= 0 else -1, n2o[nxt] if nxt < count else size
            top, bottom = (below, above) if below > above else (size, -1)  # strictly between, when in order
            at_top, at_bottom = above + m - prev, below - (nxt - m)
            slot = nxt - prev == 2 and below - above == 2 and below > above
            seen = set()
            for at, lo, hi in ((at_top, max(above + 1, at_top - BAND), min(top, at_top + BAND + 1)),
                               (at_bottom, max(bottom + 1, at_bottom - BAND), min(below, at_bottom + BAND + 1))):
                for o in range(lo, hi):
                    if o2n[o] < 0 and o not in seen:
                        seen.add(o)
                        score = self._score(o, m, True, slot)
                        if score:
                            candidates.append((-score, abs(o - at), o, m))
        self._greedy(sorted(candidates))

    def _far(self, expected: dict[int, int]) -> None:
        """Pair what is left with a similar row of the same requirement anywhere, the nearest few looked at."""
        buckets: dict[str, list[int]] = defaultdict(list)
        for o in sorted(expected, key=expected.__getitem__):
            requirement = self.old[o].fields.get("requirement")
            if requirement:
                buckets[requirement].append(o)
        if not buckets:
            return
        places = {requirement: [expected[o] for o in os] for requirement, os in buckets.items()}
        candidates = []
        for m in [n for n, o in enumerate(self.n2o) if o < 0]:
            requirement = self.new[m].fields.get("requirement", "")
            os = buckets.get(requirement)
            if os:
                at = bisect_left(places[requirement], m)
                for o in os[max(0, at - BUCKET // 2):at + BUCKET // 2]:
                    score = self._score(o, m, False)
                    if score:
                        candidates.append((-score, abs(expected[o] - m), o, m))
        self._greedy(sorted(candidates))


def _numbers(rows: Sequence[RowState]) -> list[str]:
    return [state.fields.get(CASE) or "" for state in rows]


def _firsts(numbers: list[str]) -> tuple[dict[str, int], set[str]]:
    """Each case number's first row, and the numbers used more than once."""
    last = dict(zip(numbers, range(len(numbers))))
    last.pop("", None)
    if len(last) == len(numbers) - numbers.count(""):
        return last, set()
    first = {number: i for i, number in reversed(list(enumerate(numbers))) if number}
    return first, {number for number, times in Counter(numbers).items() if number and times > 1}
