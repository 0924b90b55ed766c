"""The one disclosure checkpoint: counts of households become published cells here, and
nowhere else.

Why one place: when tables, prose, key figures, charts and the workbook each decided for
themselves what to hide, a sentence ("onder de 20 afsluitingen") or a key figure (50,0 %)
gave back cells a table hid. So a table is declared with *every* number that will be
published from it (its cells, margins, sums such as "ja + nee", shares, and numbers that
merely rest on counts, such as a median or a rate's interval) as a ``Spec``; the
``Checkpoint`` decides all of them at once and returns ``Cell`` objects. Text, charts and
sheets read those cells; a number that was not declared cannot be published.

The rule (threshold t, default 5; the reader of /work/shared/disclosure.md is the attacker):

1. Primary: a count or a sum of counts with 0 < n < t is hidden (shown ``<t``). Zero is
   published: it describes no household.
2. Secondary: no hidden count below t may follow from the published numbers. A published
   count is a linear equation on the cells beneath it (a share published with its count
   and denominator adds none). A hidden count is *disclosed* when the non-negative integer
   solutions of those equations place it in 1..t-1 (exactly, min == max, or as a range: a
   group of fewer than t households is revealed either way); so is the hidden part of a
   published total (a sum of several hidden cells, or of several hidden margins: the
   grand total less the published column totals) placed in 1..t-1. A hidden count of t or
   more that can be recomputed reveals no household and is allowed. Secondary suppression
   first hides, for every published sum with exactly one hidden cell, the smallest other
   non-zero cell (ties: declaration order); then the exact check (min and max of each
   target by linear programming, integer programming when the optimum is fractional:
   ``scipy.optimize``) names what is still disclosed, and one more related number is
   hidden per round: a sum declared ``spare`` (an n beside a share), else the smallest
   published cell, else a published total, the first that removes the disclosure.
   Secondary cells are shown ``x``.
3. Derived numbers follow: a share is hidden when its numerator or denominator is (shown
   ``<t`` when its numerator is small, ``x`` otherwise); a number declared with ``on=`` (a
   median, a mean, an interval, a model) is hidden when any count it rests on is hidden
   or below t.
4. Across tables: a count may carry a ``fact`` name (``"counts.closed"``). The same fact
   in a later table takes the status decided first, and tables sharing a hidden fact are
   checked as one system of relations (a published shared fact is a known constant in
   each and couples nothing).

5. Unusual data never fails the run and never publishes a leak. When no number of a
   table is left to hide (every related one was decided by an earlier table), the
   rounds run out, or the solver gives no answer, the table is *withheld*: every count
   of it not decided elsewhere is hidden. If a hidden count still follows, it follows
   from counts earlier tables published (shared facts); ``Unprotectable`` names those
   facts and ``protected`` (which ``content.build_report`` uses) decides the whole
   report again with them hidden where they first appear (a margin, a count in the
   text). Each retry hides more, so it ends. Only a table still disclosed with every
   shared fact hidden raises ``DisclosureError`` (not seen: it would need the table's
   own structure alone to pin a count).

``reconstruct`` is the reader's attempt on any set of relations, shares included (as
rounded in print, and also read as truncated); the tests use it on the numbers the old
report published.

``Checkpoint.audit`` repeats the exact check over every table with everything published
from it; ``Checkpoint.verify`` raises ``DisclosureError`` when anything is disclosed. The
report build calls ``verify`` on every run, so a change that publishes one number too
many fails the build instead of the household.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pipeline.report.reconstruction import DisclosureError, Finding, Problem, reconstruct

DEFAULT_THRESHOLD = 5
TRIES = 6  # candidates tried one by one before the smallest is hidden and the search goes on
SECONDARY = "x"
TOTAL = "Totaal"
NOTE = ("<%(t)s: minder dan %(t)s, niet gepubliceerd; "
        "x: niet gepubliceerd zodat een klein aantal niet uit een totaal af te leiden is.")

Key = Hashable
T = TypeVar("T")


class Unprotectable(DisclosureError):
    """A table whose hidden count follows from numbers other tables already published:
    ``facts`` must be hidden where they first appear (``protected`` builds again)."""

    def __init__(self, table: str, facts: frozenset[str]) -> None:
        super().__init__(f"tabel {table}: te beschermen door ook {', '.join(sorted(facts))} "
                         "te verbergen")
        self.facts = facts


def protected(build: Callable[[frozenset[str]], T]) -> T:
    """``build(hide_facts)`` until no table is unprotectable: each retry hides the facts
    the failing table named wherever they first appear (a margin, a count in the text),
    so the report hides more instead of failing. Terminates: every retry hides more
    facts, and a report with every shared fact hidden ties no table to another."""
    hidden: frozenset[str] = frozenset()
    while True:
        try:
            return build(hidden)
        except Unprotectable as error:
            if error.facts <= hidden:  # pragma: no cover - guarded in _withhold
                raise
            hidden |= error.facts


class Status(enum.Enum):
    PUBLISHED = "published"
    PRIMARY = "primary"  # small itself
    SECONDARY = "secondary"  # hidden so that a small one cannot be derived


@dataclass(frozen=True)
class Cell:
    """One number as the checkpoint decided it: its value only when published."""

    key: Key
    status: Status
    threshold: int
    kind: str  # 'count' (households), 'share' (a fraction), 'value' (an estimate)
    raw: Any = field(repr=False, compare=False)

    @property
    def published(self) -> bool:
        return self.status is Status.PUBLISHED

    @property
    def hidden(self) -> bool:
        return not self.published

    @property
    def value(self) -> Any:
        """The number, or None when it is not published."""
        return self.raw if self.published else None

    @property
    def mark(self) -> str:
        return f"<{self.threshold}" if self.status is Status.PRIMARY else SECONDARY

    def text(self, formatter: Callable[[Any], str]) -> str:
        """The formatted number, or its mark (``<5`` / ``x``) when hidden."""
        return formatter(self.raw) if self.published else self.mark


@dataclass
class _Quantity:
    kind: str  # 'cell', 'sum', 'share', 'value'
    value: Any
    terms: dict[Key, int] = field(default_factory=dict)  # atoms of a cell or sum
    fact: str | None = None
    num: Key | None = None
    den: Key | None = None
    digits: int = 1
    on: tuple[Key, ...] = ()
    spare: bool = False  # a derived sum to hide before any cell
    parts: list[tuple[Key, ...]] = field(default_factory=list)  # ways the sum is split


class Spec:
    """The numbers of one published table and of everything derived from it."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.quantities: dict[Key, _Quantity] = {}

    def _add(self, key: Key, quantity: _Quantity) -> Key:
        if key in self.quantities:
            raise ValueError(f"dubbele sleutel in tabel {self.key}: {key!r}")
        self.quantities[key] = quantity
        return key

    def cell(self, key: Key, value: int, *, fact: str | None = None) -> Key:
        """A count of households (an integer >= 0)."""
        value = int(value or 0)
        if value < 0:
            raise ValueError(f"een aantal kan niet negatief zijn: {key!r} = {value}")
        return self._add(key, _Quantity("cell", value, {key: 1}, fact))

    def total(self, key: Key, parts: Iterable[Key], *, fact: str | None = None,
              spare: bool = False) -> Key:
        """A published sum of cells or of other sums (a margin, 'ja + nee', ...).
        ``spare``: a derived sum (an n shown beside a share) that secondary suppression
        may hide before any cell, rather than hiding cells around it."""
        terms: dict[Key, int] = {}
        for part in parts:
            for atom, coef in self.quantities[part].terms.items():
                terms[atom] = terms.get(atom, 0) + coef
        value = sum(self.quantities[a].value * c for a, c in terms.items())
        return self._add(key, _Quantity("sum", value, terms, fact, spare=spare,
                                        parts=[tuple(parts)]))

    def share(self, key: Key, num: Key, den: Key, *, digits: int = 1) -> Key:
        """num / den as a fraction, printed as a percentage with ``digits`` decimals."""
        n, d = self.quantities[num].value, self.quantities[den].value
        return self._add(key, _Quantity("share", n / d if d else None, num=num, den=den,
                                        digits=digits))

    def value(self, key: Key, value: Any, *, on: Iterable[Key]) -> Key:
        """A number that rests on counts (median, mean, rate with its interval, model)."""
        return self._add(key, _Quantity("value", value, on=tuple(on)))

    def grid(self, rows: Sequence[Key], cols: Sequence[Key], values: Sequence[Sequence[int]],
             *, row_total: bool = True, col_total: bool = True,
             percent: str | None = None, digits: int = 1,
             facts: Mapping[Key, str] | None = None) -> None:
        """rows x cols of counts (``values[i][j]``), keyed ``(row, col)``; row totals
        ``(row, TOTAL)``, column totals ``(TOTAL, col)``, the grand total ``(TOTAL, TOTAL)``;
        shares ``('%', row, col)`` of the row (``percent='row'``) or column total."""
        facts = facts or {}
        for i, r in enumerate(rows):
            for j, c in enumerate(cols):
                self.cell((r, c), values[i][j], fact=facts.get((r, c)))
        if row_total:
            for r in rows:
                self.total((r, TOTAL), [(r, c) for c in cols], fact=facts.get((r, TOTAL)))
        if col_total:
            for c in cols:
                self.total((TOTAL, c), [(r, c) for r in rows], fact=facts.get((TOTAL, c)))
            if row_total:
                self.total((TOTAL, TOTAL), [(TOTAL, c) for c in cols],
                           fact=facts.get((TOTAL, TOTAL)))
                # the grand total is the sum of the row totals as well
                self.quantities[(TOTAL, TOTAL)].parts.append(tuple((r, TOTAL) for r in rows))
        all_rows = [*rows, TOTAL] if col_total else list(rows)
        all_cols = [*cols, TOTAL] if row_total else list(cols)
        if percent == "row" and not row_total or percent == "col" and not col_total:
            raise ValueError("percentages vragen het bijbehorende totaal in de tabel")
        if percent:
            for r in all_rows:
                for c in all_cols:
                    den = (r, TOTAL) if percent == "row" else (TOTAL, c)
                    self.share(("%", r, c), (r, c), den, digits=digits)


class Published(Mapping[Key, Cell]):
    """The decided numbers of one table: ``published[key]`` is a ``Cell``."""

    def __init__(self, key: str, cells: dict[Key, Cell], threshold: int) -> None:
        self.key = key
        self._cells = cells
        self.threshold = threshold

    def __getitem__(self, key: Key) -> Cell:
        return self._cells[key]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._cells)

    def __len__(self) -> int:
        return len(self._cells)

    @property
    def any_hidden(self) -> bool:
        return any(c.hidden and c.kind == "count" for c in self._cells.values())

    def note(self, translate: Callable[[str], str] | None = None) -> str:
        """The legend line under the table ('' when nothing was hidden)."""
        return (translate or str)(NOTE) % {"t": self.threshold} if self.any_hidden else ""


# --------------------------------------------------------------------------- the checkpoint


@dataclass
class _Table:
    spec: Spec
    status: dict[Key, Status]
    cells: Published


class Checkpoint:
    """Decides every published number of one report and audits them together."""

    def __init__(self, threshold: int = DEFAULT_THRESHOLD,
                 hide_facts: Iterable[str] = ()) -> None:
        """``hide_facts``: facts hidden wherever they first appear (the retry of
        ``protected`` after a table could not be protected otherwise)."""
        if threshold < 1:
            raise ValueError("de drempel voor kleine aantallen moet minstens 1 zijn")
        self.threshold = threshold
        self.hide_facts = frozenset(hide_facts)
        self.tables: list[_Table] = []
        self.facts: dict[str, tuple[int, Key]] = {}  # fact -> (table index, quantity key)

    # ---- deciding

    def table(self, key: str) -> Published | None:
        """The decided cells of table ``key`` (None when no chapter published it): how a
        chapter reads another chapter's numbers, so both print the same cell."""
        return next((t.cells for t in self.tables if t.spec.key == key), None)

    def fact(self, name: str, value: Any) -> str | None:
        """``name`` when no table has that fact yet or it has this value, else None (a
        different number under the same name is not the same fact: it stays unlinked)."""
        if name not in self.facts:
            return name
        t, key = self.facts[name]
        return name if self.tables[t].spec.quantities[key].value == int(value or 0) else None

    def fact_value(self, name: str) -> int | None:
        """The count registered under fact ``name`` (None when no table has it yet)."""
        if name not in self.facts:
            return None
        t, key = self.facts[name]
        return int(self.tables[t].spec.quantities[key].value)

    def count(self, fact: str, value: Any) -> Cell:
        """A count shown on its own: the cell of its fact if a table has it, else alone."""
        value = int(value or 0)
        if self.fact(fact, value) is None:
            fact = f"{fact}={value}"
        if fact in self.facts:
            t, key = self.facts[fact]
            return self.tables[t].cells[key]
        spec = Spec(fact)
        spec.cell(fact, value, fact=fact)
        return self.publish(spec)[fact]

    def publish(self, spec: Spec) -> Published:
        """Decide the table: primary, forced by facts, then secondary until safe."""
        if any(t.spec.key == spec.key for t in self.tables):
            raise ValueError(f"tabel {spec.key} werd al beslist")
        t = self.threshold
        qs = spec.quantities
        status: dict[Key, Status] = {}
        forced: set[Key] = set()
        for key, q in qs.items():
            if q.kind not in ("cell", "sum"):
                continue
            if q.fact and self.fact(q.fact, q.value) is None:
                q.fact = f"{q.fact}={q.value}"  # another number under that name: not it
            small = 0 < q.value < t
            if q.fact and q.fact in self.facts:
                ti, tk = self.facts[q.fact]
                status[key] = self.tables[ti].status[tk]
                forced.add(key)
            elif q.fact and q.fact in self.hide_facts:
                status[key] = Status.PRIMARY if small else Status.SECONDARY
                forced.add(key)
            else:
                status[key] = Status.PRIMARY if small else Status.PUBLISHED
        index = len(self.tables)
        self.tables.append(_Table(spec, status, Published(spec.key, {}, t)))
        for key, q in qs.items():
            if q.fact and q.fact not in self.facts:
                self.facts[q.fact] = (index, key)
        try:
            try:
                self._line_rule(spec, status, forced)
                for _ in range(len(qs) + 1):
                    findings = self._findings(self._component(index))
                    if not findings:
                        break
                    self._repair(index, status, forced, findings)
                else:  # pragma: no cover - each round hides one more number
                    raise DisclosureError(f"tabel {spec.key}: geen veilige onderdrukking")
            except DisclosureError:
                self._withhold(index, status, forced)
        except Exception:
            self.tables.pop()
            for key, q in qs.items():
                if q.fact and self.facts.get(q.fact) == (index, key):
                    del self.facts[q.fact]
            raise
        cells = {key: Cell(key, self._derived(spec, status, key), t,
                           "count" if q.kind in ("cell", "sum") else q.kind, q.value)
                 for key, q in qs.items()}
        published = Published(spec.key, cells, t)
        self.tables[index] = _Table(spec, status, published)
        return published

    def _derived(self, spec: Spec, status: dict[Key, Status], key: Key) -> Status:
        q = spec.quantities[key]
        if q.kind in ("cell", "sum"):
            return status[key]
        if q.kind == "share":
            assert q.num is not None and q.den is not None
            num, den = self._derived(spec, status, q.num), self._derived(spec, status, q.den)
            if num is Status.PRIMARY:
                return Status.PRIMARY
            hidden = num is not Status.PUBLISHED or den is not Status.PUBLISHED
            return Status.SECONDARY if hidden or q.value is None else Status.PUBLISHED
        for base in q.on:
            if self._derived(spec, status, base) is not Status.PUBLISHED:
                return Status.SECONDARY
            bq = spec.quantities[base]
            if bq.kind in ("cell", "sum") and bq.value < self.threshold:
                return Status.SECONDARY  # too few for an estimate: it would describe them
        return Status.PUBLISHED

    @staticmethod
    def _atoms_hidden(spec: Spec, status: dict[Key, Status], key: Key) -> list[Key]:
        return [a for a in spec.quantities[key].terms if status[a] is not Status.PUBLISHED]

    def _line_rule(self, spec: Spec, status: dict[Key, Status], forced: set[Key]) -> None:
        """The cheap first pass: a published sum with exactly one hidden cell. A sum whose
        other numbers are all decided elsewhere (published facts) is left to the exact
        check: the hidden cell may be t or more, and then nothing is disclosed."""
        stuck: set[Key] = set()
        changed = True
        while changed:
            changed = False
            for key, q in spec.quantities.items():
                if q.kind != "sum" or status[key] is not Status.PUBLISHED or key in stuck:
                    continue
                if len(self._atoms_hidden(spec, status, key)) != 1:
                    continue
                if self._hide_one(spec, status, forced, list(q.terms)):
                    changed = True
                else:
                    stuck.add(key)

    def _hide_one(self, spec: Spec, status: dict[Key, Status], forced: set[Key],
                  atoms: Sequence[Key]) -> bool:
        """Hide the smallest published non-zero cell among ``atoms``; else the smallest
        published sum over them; False when every such number is decided elsewhere."""
        order = {k: i for i, k in enumerate(spec.quantities)}
        candidates = [a for a in atoms if a not in forced
                      and status[a] is Status.PUBLISHED and spec.quantities[a].value > 0]
        if candidates:
            pick = min(candidates, key=lambda a: (spec.quantities[a].value, order[a]))
        else:
            touching = [k for k, q in spec.quantities.items()
                        if q.kind == "sum" and k not in forced
                        and status[k] is Status.PUBLISHED and set(q.terms) & set(atoms)]
            if not touching:
                return False
            pick = min(touching, key=lambda k: (spec.quantities[k].value, order[k]))
        status[pick] = Status.SECONDARY
        return True

    def _withhold(self, index: int, status: dict[Key, Status], forced: set[Key]) -> None:
        """The fallback when no number of the table is left to hide: every count of the
        table not decided elsewhere is hidden. If a hidden count still follows, it does
        from numbers other tables published (shared facts), and those must be hidden
        where they first appear: ``Unprotectable`` names them for ``protected``."""
        spec = self.tables[index].spec
        for key, q in spec.quantities.items():
            if q.kind in ("cell", "sum") and key not in forced:
                status[key] = (Status.PRIMARY if 0 < q.value < self.threshold
                               else Status.SECONDARY)
        if not self._findings(self._component(index)):
            return
        facts = {q.fact for k, q in spec.quantities.items()
                 if q.fact and k in forced and status[k] is Status.PUBLISHED}
        if not facts - self.hide_facts:
            raise DisclosureError(f"tabel {spec.key}: geen veilige onderdrukking gevonden")
        raise Unprotectable(spec.key, frozenset(facts))

    def _repair(self, index: int, status: dict[Key, Status], forced: set[Key],
                findings: list[tuple[int, Key, list[Key], Finding]]) -> None:
        """Hide one more number of table ``index`` for the first finding: the smallest
        published cell related to it that alone removes the disclosure, else a published
        sum that does, else the smallest related cell (the next round goes on)."""
        spec = self.tables[index].spec
        qs = spec.quantities
        order = {k: i for i, k in enumerate(qs)}
        own = [f for f in findings if f[0] == index]
        target_index, _, atoms, finding = (own or findings)[0]
        if target_index == index:
            related = [a for k, q in qs.items() if q.kind == "sum"
                       and status[k] is Status.PUBLISHED and set(q.terms) & set(atoms)
                       for a in q.terms]
        else:  # a number of an earlier table, pinned through the facts this table shares
            related = [a for k, q in qs.items() if q.fact for a in q.terms]
        related = list(dict.fromkeys(related or qs))
        cells = sorted((a for a in related if qs[a].kind == "cell" and a not in forced
                        and status[a] is Status.PUBLISHED and qs[a].value > 0),
                       key=lambda a: (qs[a].value, order[a]))
        sums = sorted((k for k, q in qs.items() if q.kind == "sum" and k not in forced
                       and status[k] is Status.PUBLISHED and set(q.terms) & set(related)),
                      key=lambda k: (not qs[k].spare, qs[k].value, order[k]))
        spare = [k for k in sums if qs[k].spare]
        candidates = [*spare, *cells, *(k for k in sums if not qs[k].spare)]
        if not candidates:
            raise DisclosureError(
                f"tabel {spec.key}: een verborgen aantal is af te leiden uit getallen die "
                "elders al gepubliceerd zijn")
        for candidate in candidates[:TRIES]:
            status[candidate] = Status.SECONDARY
            if not self._findings(self._component(index), only=finding.what):
                return
            status[candidate] = Status.PUBLISHED
        status[candidates[0]] = Status.SECONDARY

    # ---- checking

    def _component(self, index: int) -> list[int]:
        """The tables linked to table ``index`` through shared facts that are hidden. A
        published shared fact couples nothing: each table knows its value already."""
        by_fact: dict[str, list[int]] = {}
        for i, table in enumerate(self.tables):
            for key, q in table.spec.quantities.items():
                if q.fact and table.status.get(key, Status.PUBLISHED) is not Status.PUBLISHED:
                    by_fact.setdefault(q.fact, []).append(i)
        seen, todo = {index}, [index]
        while todo:
            i = todo.pop()
            for q in self.tables[i].spec.quantities.values():
                for j in by_fact.get(q.fact or "", []):
                    if j not in seen:
                        seen.add(j)
                        todo.append(j)
        return sorted(seen)

    def _problem(self, component: Sequence[int]) -> tuple[Problem, dict]:
        true: dict[Key, int] = {}
        problem = Problem(true)
        first_of_fact: dict[str, dict[Key, float]] = {}
        targets: dict[str, tuple[int, Key, dict[Key, float], list[Key]]] = {}
        for i in component:
            table = self.tables[i]
            qs, status = table.spec.quantities, table.status

            def terms(key: Key, i: int = i, qs: dict = qs) -> dict[Key, float]:
                return {(i, a): float(c) for a, c in qs[key].terms.items()}

            for key, q in qs.items():
                if q.kind == "cell":
                    true[(i, key)] = q.value
            for key, q in qs.items():
                if q.kind in ("cell", "sum"):
                    if status[key] is Status.PUBLISHED:
                        problem.equal.append((terms(key), float(q.value)))
                    elif 0 < q.value < self.threshold:
                        targets[f"{table.spec.key}: {key!r}"] = (
                            i, key, terms(key), self._atoms_hidden(table.spec, status, key),
                            False)
                    if q.fact:
                        if q.fact in first_of_fact:
                            link = dict(terms(key))
                            for k, v in first_of_fact[q.fact].items():
                                link[k] = link.get(k, 0.0) - v
                            problem.equal.append((link, 0.0))
                        else:
                            first_of_fact[q.fact] = terms(key)
                    hidden = self._atoms_hidden(table.spec, status, key)
                    if (q.kind == "sum" and status[key] is Status.PUBLISHED
                            and len(hidden) >= 2):
                        targets[f"{table.spec.key}: {key!r} (verborgen deel)"] = (
                            i, key, {(i, a): 1.0 for a in hidden}, hidden, True)
                    if q.kind == "sum" and status[key] is Status.PUBLISHED:
                        # the hidden parts of a margin together (two hidden column totals
                        # under a published grand total): a group as well
                        for parts in q.parts:
                            gone = [x for x in parts if status[x] is not Status.PUBLISHED]
                            atoms = [a for x in gone for a in qs[x].terms]
                            if len(gone) < 2 or sorted(map(repr, atoms)) == sorted(
                                    map(repr, hidden)):
                                continue
                            targets[f"{table.spec.key}: {key!r} (verborgen deel van "
                                    f"{gone!r})"] = (i, key, {(i, a): 1.0 for a in atoms},
                                                     atoms, True)
                # a share is published only with its numerator and denominator, so it adds
                # no relation the counts do not already give: it needs no row here
        return problem, targets

    def _findings(self, component: Sequence[int], only: str | None = None
                  ) -> list[tuple[int, Key, list[Key], Finding]]:
        """Disclosed targets: (table index, quantity key, its hidden atoms, finding)."""
        problem, targets = self._problem(component)
        if only is not None:
            targets = {only: targets[only]} if only in targets else {}
        names = tuple(self.tables[i].spec.key for i in component)
        out = []
        for name, low, high, true in reconstruct(
                problem, {n: v[2] for n, v in targets.items()}, self.threshold):
            i, key, _, atoms, _ = targets[name]
            out.append((i, key, atoms, Finding(names, name, low, high, true)))
        return out

    def audit(self) -> list[Finding]:
        """Every hidden number a reader of all published numbers can pin down."""
        findings: list[Finding] = []
        done: set[int] = set()
        for index in range(len(self.tables)):
            if index in done:
                continue
            component = self._component(index)
            done |= set(component)
            findings += [f for *_, f in self._findings(component)]
        return findings

    def verify(self) -> None:
        """Raise DisclosureError when any hidden number can be recomputed."""
        findings = self.audit()
        if findings:
            lines = [f"{f.what}: uit de gepubliceerde getallen volgt {f.low:g}..{f.high:g}"
                     for f in findings]
            raise DisclosureError("verborgen aantallen zijn af te leiden:\n" + "\n".join(lines))
