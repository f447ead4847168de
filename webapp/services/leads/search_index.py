"""The trigram search indexes as the inbox asks them: SQLite's FTS5 table over
`leads.search_text`, and PostgreSQL's pg_trgm GIN index (`trgm_rowids`).

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

PostgreSQL estimates about 100 matches for any `LIKE '%term%'` its statistics do not
sample, so it would fetch and sort every lead holding a common surname. `trgm_rowids` asks
the GIN index for at most `limit` + 1 matches (of any workspace, as FTS5 counts them), so
the inbox tells few from many exactly as on SQLite and picks the plan itself. pg_trgm also
reads the posting list of every trigram of the term (an address: "com", "gma", "yah"…, up
to 75 ms), so a longer term asks the index for its rarest words only (rare in a sample of
the newest leads, read once per process), when they alone narrow the leads down to
TRGM_CANDIDATES, and the whole term is tested on the rows.
"""

from __future__ import annotations

import re
import weakref

from sqlalchemy import ColumnElement, column, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from webapp.core.db import read
from webapp.models import Lead
from webapp.models.lead import LEAD_SEARCH_FTS, LEAD_SEARCH_TRGM

PHRASE_MAX = 6  # up to 4 trigrams: the phrase itself is cheap enough
RARE_TRIGRAMS = 3
RARE_LIMIT = 5_000  # rarer than this is told apart; commoner ones all count as common
PROBES_MAX = 10  # trigrams first counted by one search (a few ms); later searches reuse them
CANDIDATES_MAX = 300  # rows the caller reads to test the whole term
FREQUENCIES_KEPT = 50_000  # trigrams remembered per process (a few MB at most)

_fts_ready: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()
_trgm_ready: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()
SAMPLE_ROWS = 2_000  # the newest leads' search texts, kept per process (~100 kB)
TRGM_CANDIDATES = 1_000  # rows (a few ms) read to test the whole term on
_samples: weakref.WeakKeyDictionary[Engine, tuple[float, list[str]]] = weakref.WeakKeyDictionary()
_frequencies: weakref.WeakKeyDictionary[Engine, dict[str, int]] = weakref.WeakKeyDictionary()


def fts_ready(session: Session) -> bool:
    """Whether this database has SQLite's trigram search table (not on PostgreSQL, nor on a
    SQLite without the trigram tokenizer)."""
    return _has_index(session, "sqlite", _fts_ready, LEAD_SEARCH_FTS)


def trgm_ready(session: Session) -> bool:
    """Whether this database is PostgreSQL with pg_trgm's index on the search text (migration
    0004 goes without it when the extension cannot be created)."""
    return _has_index(session, "postgresql", _trgm_ready, LEAD_SEARCH_TRGM)


_CATALOGUE = {  # where each database lists the search object, asked once per engine
    "sqlite": "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name",
    "postgresql": "SELECT 1 FROM pg_indexes WHERE tablename = 'leads' AND indexname = :name",
}


def _has_index(
    session: Session, dialect: str, known: weakref.WeakKeyDictionary[Engine, bool], name: str
) -> bool:
    engine = session.get_bind()
    if engine.dialect.name != dialect:
        return False
    ready = known.get(engine)
    if ready is None:
        found = session.execute(text(_CATALOGUE[dialect]), {"name": name}).first()
        ready = known[engine] = found is not None
    return ready


def trgm_rowids(session: Session, term: str, limit: int) -> list[int]:
    """The ids of the leads (of any workspace) containing `term`, no more than limit + 1,
    through pg_trgm's index (its matches are rechecked against the text: exact)."""
    words = _rare_words(session, term)
    if words:  # the index finds the rare words; the whole term is tested on their rows
        conds = [*(Lead.search_text.contains(w) for w in words), scan_contains(session, term)]
    else:
        conds = [Lead.search_text.contains(term, autoescape=True)]
    query = select(Lead.id).where(*conds)
    return list(session.scalars(query.limit(limit + 1)))


def _rare_words(session: Session, term: str) -> list[str]:
    """The words of a long term (as pg_trgm cuts them: letters and digits) that narrow the
    leads down to TRGM_CANDIDATES by themselves, rarest first; empty when it takes every
    word. The sample's frequencies only pick the plan: a wrong one costs time, not results."""
    words = set(re.findall(r"[^\W_]{3,}", term))
    if len(term) <= PHRASE_MAX or len(words) < 2:
        return []
    leads, sample = _sample(session)
    estimate, picked = leads, []
    for n, word in sorted((sum(word in t for t in sample), word) for word in words):
        picked.append(word)
        estimate *= (n + 1) / (len(sample) + 1)
        if estimate <= TRGM_CANDIDATES:
            return picked if len(picked) < len(words) else []
    return []


def _sample(session: Session) -> tuple[float, list[str]]:
    """(about how many leads there are, the search texts of the newest SAMPLE_ROWS of any
    workspace: statistics for the plan, never shown)."""
    engine = session.get_bind()
    if engine not in _samples:
        leads = session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'leads'"))
        texts = session.scalars(
            select(Lead.search_text).order_by(Lead.id.desc()).limit(SAMPLE_ROWS)
        )
        sample = list(texts)
        _samples[engine] = (max(float(leads or 0), float(len(sample))), sample)
    return _samples[engine]


def scan_contains(session: Session, term: str) -> ColumnElement:
    """The test for `term` that no trigram index serves: walking a sort order for a common
    term (PostgreSQL would rather serve a plain LIKE from pg_trgm's index and sort every
    match; `ix_leads_search_walk` holds the text, so no row is read), or testing the rows
    its rare words found. The concatenation hides the column from pg_trgm's index."""
    text_ = Lead.search_text
    if session.get_bind().dialect.name == "postgresql":
        text_ = text_.concat("")
    return text_.contains(term, autoescape=True)


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


# Built once: a statement built per search costs more than the index's answer to it. The
# ids come back as one text in one row: a row at a time, each of up to 2,001 steps let go
# of the GIL and gave the other threads of a gunicorn worker a turn (doubling the search's
# CPU under 4 threads), and went through the result machinery.
_ROWIDS = text(
    f"SELECT group_concat(rowid) FROM (SELECT rowid FROM {LEAD_SEARCH_FTS} "
    f"WHERE {LEAD_SEARCH_FTS} MATCH :expression LIMIT :limit)"
)


def fts_rowids(session: Session, expression: str, limit: int) -> list[int]:
    """The ids of the leads (of any workspace) matching an FTS5 `expression`, no more than
    limit + 1 (one reading of the index: the caller counts them and, when few, reads them)."""
    ids = read(session, _ROWIDS, {"expression": expression, "limit": limit + 1}).scalar()
    return [int(i) for i in ids.split(",")] if ids else []


def few_matches(
    session: Session, term: str, few: int, candidates: int
) -> tuple[list[ColumnElement] | None, bool, list[int]]:
    """Whether the search index finds few leads containing `term` (of any workspace, so both
    databases decide alike): (conditions naming them, True, their ids) when at most `few`,
    (None, True, []) when more, (None, False, []) without a search index. `candidates`:
    how many FTS5 reads at most."""
    found: list[ColumnElement] = []
    if fts_ready(session):
        expression, ids = match_expression(session, term)
        if ids is None:  # the phrase: its matches are the leads with the term
            ids = fts_rowids(session, expression, candidates)
        else:  # a few candidates holding the term's rarest trigrams
            found.append(Lead.search_text.contains(term, autoescape=True))
    elif trgm_ready(session):
        ids = trgm_rowids(session, term, few)
    else:
        return None, False, []
    if len(ids) > few:
        return None, True, []
    return [*found, Lead.id.in_(ids)], True, ids
