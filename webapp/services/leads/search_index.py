"""SQLite's trigram search index (FTS5 over `leads.search_text`) as the inbox asks it.

A phrase query makes FTS5 read the whole posting list of every trigram of the term, with
positions: an address of 35 characters reads 33 lists, and ".co", "com" or "gma" each hold
hundreds of thousands of leads at 1,000,000 (70–140 ms a query). So a term longer than
PHRASE_MAX first asks for the leads holding a few of its rarest trigrams (at most
RARE_TRIGRAMS that do not overlap, ANDed: FTS5 skips through the longer lists by rowid);
when they are few (CANDIDATES_MAX), the caller tests the whole term against `search_text`
on them, else the phrase is asked (a name and a company word: every trigram common). How rare a trigram is comes from a count bounded at
RARE_LIMIT + 1 (rare ones cost nothing to count, common ones stop early), at most PROBES_MAX
new ones a search, kept per process: it only picks the plan, and a stale or missing figure
costs time, never a wrong result.
"""

from __future__ import annotations

import weakref

from sqlalchemy import column, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from webapp.models.lead import LEAD_SEARCH_FTS

PHRASE_MAX = 6  # up to 4 trigrams: the phrase itself is cheap enough
RARE_TRIGRAMS = 3
RARE_LIMIT = 5_000  # rarer than this is told apart; commoner ones all count as common
PROBES_MAX = 10  # trigrams first counted by one search (a few ms); later searches reuse them
CANDIDATES_MAX = 300  # rows the caller reads to test the whole term
FREQUENCIES_KEPT = 50_000  # trigrams remembered per process (a few MB at most)

_fts_ready: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()
_frequencies: weakref.WeakKeyDictionary[Engine, dict[str, int]] = weakref.WeakKeyDictionary()


def fts_ready(session: Session) -> bool:
    """Whether this database has SQLite's trigram search table (not on PostgreSQL, nor on a
    SQLite without the trigram tokenizer)."""
    engine = session.get_bind()
    if engine.dialect.name != "sqlite":
        return False
    ready = _fts_ready.get(engine)
    if ready is None:
        ready = (
            session.execute(
                text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
                {"name": LEAD_SEARCH_FTS},
            ).first()
            is not None
        )
        _fts_ready[engine] = ready
    return ready


def _quoted(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def _select(expression: str):
    return text(
        f"SELECT rowid FROM {LEAD_SEARCH_FTS} WHERE {LEAD_SEARCH_FTS} MATCH :expression"
    ).bindparams(expression=expression)


def _bounded_count(session: Session, expression: str, limit: int) -> int:
    inner = _select(expression).columns(column("rowid")).subquery()
    return (
        session.scalar(
            select(func.count()).select_from(select(inner.c.rowid).limit(limit + 1).subquery())
        )
        or 0
    )


def _frequency(session: Session, trigram: str, budget: list[int]) -> int:
    """How many leads (of any workspace) hold `trigram`, counted up to RARE_LIMIT + 1 and
    remembered; a trigram not yet known once `budget` probes are spent counts as common."""
    known = _frequencies.setdefault(session.get_bind(), {})
    n = known.get(trigram)
    if n is None:
        if budget[0] <= 0:
            return RARE_LIMIT + 1
        budget[0] -= 1
        if len(known) >= FREQUENCIES_KEPT:
            known.clear()
        n = known[trigram] = _bounded_count(session, _quoted(trigram), RARE_LIMIT)
    return n


def _likely_rare(trigram: str) -> int:
    """Digits and punctuation make a trigram rarer than letters do: probe those first."""
    return -sum(not c.isalpha() for c in trigram)


def match_expression(session: Session, term: str) -> tuple[str, list[int] | None]:
    """(FTS5 query, candidates) for the leads containing `term`. Candidates None: the query
    is the phrase itself, whose matches are exactly the leads containing the term. Else the
    query ANDs the term's rarest trigrams that do not overlap (overlapping ones come from
    the same word and narrow little), and `candidates` are its matches (the ids of at most
    CANDIDATES_MAX leads), to be tested against the whole term."""
    if len(term) <= PHRASE_MAX:
        return _quoted(term), None
    rarest = _rarest(session, term)
    if len(rarest) >= 2:
        expression = " AND ".join(_quoted(t) for t in rarest)
        candidates = fts_rowids(session, expression, CANDIDATES_MAX)
        if len(candidates) <= CANDIDATES_MAX:
            return expression, candidates
    return _quoted(term), None  # common words together: only the phrase narrows it down


def _rarest(session: Session, term: str) -> list[str]:
    """Up to RARE_TRIGRAMS of the term's trigrams known to be rare, rarest first, no two
    overlapping."""
    at: dict[str, int] = {}
    for i in range(len(term) - 2):
        at.setdefault(term[i : i + 3], i)
    budget = [PROBES_MAX]
    probed = [(_frequency(session, t, budget), t) for t in sorted(at, key=_likely_rare)]
    picked: list[str] = []
    for n, trigram in sorted(probed):
        if n > RARE_LIMIT or len(picked) == RARE_TRIGRAMS:
            break
        if all(abs(at[trigram] - at[t]) >= 3 for t in picked):
            picked.append(trigram)
    return picked


# Built once: a statement built per search costs more than the index's answer to it.
_ROWIDS = text(
    f"SELECT rowid FROM {LEAD_SEARCH_FTS} WHERE {LEAD_SEARCH_FTS} MATCH :expression LIMIT :limit"
)


def fts_rowids(session: Session, expression: str, limit: int) -> list[int]:
    """The ids of the leads (of any workspace) matching an FTS5 `expression`, no more than
    limit + 1 (one reading of the index: the caller counts them and, when few, reads them)."""
    return list(session.scalars(_ROWIDS, {"expression": expression, "limit": limit + 1}))
