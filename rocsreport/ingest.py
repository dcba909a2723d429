"""Data files -> a DuckDB database file. Every source row is loaded or kept in ``rejects``.

The column types come from the codebook, never from sniffing: each file is read as text, every
value is checked against its question in SQL, and only clean rows are cast and loaded. The work
happens inside DuckDB; Python never touches a respondent row.

The database is written to a temporary file and renamed over the old one only when the load
succeeds, so a failed load leaves the previous database untouched.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from . import __version__
from .errors import IngestError
from .readers import ReadInfo, read_into
from .spec import Question, Source, Study

# Extensions are never fetched or loaded behind the user's back.
NO_EXTENSIONS = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def engine_config(spill: Path | None = None) -> dict[str, object]:
    """DuckDB's settings for a load or an analysis: no extensions, and a memory ceiling, so
    that a large file is streamed and spilled to disk rather than held in memory.

    ``ROCSREPORT_MEMORY_LIMIT`` (a DuckDB size such as "1GB"; default 1GB) and
    ``ROCSREPORT_THREADS`` (default: DuckDB's, one per core) override them. ``spill``: the
    folder for what does not fit (beside the database, removed after the load)."""
    cfg: dict[str, object] = dict(NO_EXTENSIONS)
    cfg["memory_limit"] = os.environ.get("ROCSREPORT_MEMORY_LIMIT") or "1GB"
    threads = os.environ.get("ROCSREPORT_THREADS")
    if threads:
        if not threads.isdigit() or int(threads) < 1:
            raise IngestError(f"ROCSREPORT_THREADS={threads!r}: expected a whole number of "
                              "threads, 1 or more")
        cfg["threads"] = int(threads)
    if spill is not None:
        cfg["temp_directory"] = str(spill)
    return cfg


def show_progress(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """DuckDB's own progress bar for a long read or aggregation (after 2 s), on a terminal
    only."""
    from .progress import on_terminal

    con.execute(f"SET enable_progress_bar = {'true' if on_terminal() else 'false'}")
    return con

# Bump when the database layout changes, so an old database is reloaded rather than misread.
SCHEMA_VERSION = "2"


def quote_ident(name: str) -> str:
    """Quote an SQL identifier for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


def sql_list(values) -> str:
    """A list of text values as an SQL literal, each quoted and escaped."""
    return "[" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + "]"


@dataclass(frozen=True)
class SourceLoad:
    source: str
    file: str
    rows: int
    loaded: int
    rejected: int
    detail: str = ""  # how the file was read, when not plain UTF-8 CSV or Parquet

    @property
    def reject_rate(self) -> float:
        return self.rejected / self.rows if self.rows else 0.0


@dataclass(frozen=True)
class Reject:
    source: str
    file: str
    line: int
    column: str
    value: str | None
    reason: str

    def message(self) -> str:
        shown = "(empty)" if self.value is None else repr(self.value)
        return f"{self.file}, line {self.line}, column {self.column}: value {shown} {self.reason}"


@dataclass(frozen=True)
class LoadResult:
    db: Path
    sources: tuple[SourceLoad, ...]
    reused: bool
    extra_columns: tuple[tuple[str, str], ...] = ()

    def summary_lines(self) -> list[str]:
        lines = [f"{s.source} ({s.file}): loaded {s.loaded}, rejected {s.rejected}"
                 + (f" ({s.detail})" if s.detail else "") for s in self.sources]
        lines += [f"{f}: column {c!r} is not in the codebook and was not loaded"
                  for f, c in self.extra_columns]
        return lines


def default_db(study: Study) -> Path:
    return study.root / ".rocsreport" / "study.duckdb"


# Keys of study.yaml that only word or dress the publication: a change to them reloads
# nothing and reuses the disclosure protection (the site itself is still rebuilt: its stamp
# hashes the whole file).
PRESENTATION_KEYS = ("title", "subtitle", "publisher", "fieldwork", "sample", "synthetic",
                     "unit", "publication", "charts", "publish")


def _loading_part(study: Study) -> bytes:
    """study.yaml as parsed, without the presentation keys, in a canonical form."""
    import json

    from .spec import read_yaml

    raw = read_yaml(study.study_file)
    if isinstance(raw, dict):
        raw = {k: v for k, v in raw.items() if k not in PRESENTATION_KEYS}
    return json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")


def fingerprint(study: Study) -> str:
    """A hash of everything a load depends on: the study file (but its presentation keys),
    the data files and the loader."""
    h = hashlib.sha256(f"rocsreport {__version__} schema {SCHEMA_VERSION}\n".encode())
    h.update(_loading_part(study))
    limit = int(study.max_file_mb * 1e6)
    for s in study.sources:
        # The size limit before any byte is read: a 10 GB sparse file is refused at once.
        size = s.file.stat().st_size if s.file.is_file() else 0
        if size > limit:
            raise IngestError(f"{s.relpath}: {size:,} bytes is above the limit of {limit:,} "
                              "bytes (load.max_file_mb)")
        h.update(f"\n{s.id}\n".encode())
        with s.file.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def stored_fingerprint(db: Path) -> str | None:
    if not db.is_file():
        return None
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        return None
    try:
        row = con.execute("SELECT value FROM _meta WHERE key = 'fingerprint'").fetchone()
        return row[0] if row else None
    except duckdb.Error:
        return None
    finally:
        con.close()


def load(study: Study, db: Path | None = None, *, force: bool = False) -> LoadResult:
    """Load every source of ``study`` into the DuckDB file ``db``.

    Unchanged inputs are not reloaded (unless ``force``). The reject rate of each source is held
    to ``load.max_reject_rate``; above it the load fails and the previous database stays.
    """
    db = Path(db) if db is not None else default_db(study)
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IngestError(f"cannot write the database in {db.parent}: {exc.strerror}; if the "
                          "study folder is read-only, give --db PATH somewhere writable") from None
    from .locks import exclusive

    # A second load of the same database waits for the first (then finds it up to date).
    with exclusive(db, "the database", wait=600):
        return _load(study, db, force)


def _load(study: Study, db: Path, force: bool) -> LoadResult:
    fp = fingerprint(study)
    if not force and stored_fingerprint(db) == fp:
        return LoadResult(db, read_summary(db), reused=True)
    tmp = db.with_name(db.name + ".tmp")
    for stale in (tmp, tmp.with_name(tmp.name + ".wal")):
        stale.unlink(missing_ok=True)
    spill = db.with_name(db.name + ".spill")
    try:
        con = show_progress(duckdb.connect(str(tmp), config=engine_config(spill)))
    except duckdb.Error as exc:
        raise IngestError(f"cannot start the database engine: {exc}") from None
    try:
        summaries, rejects, extra = _load_into(con, study)
        con.execute("CREATE TABLE _meta (key VARCHAR, value VARCHAR)")
        con.executemany("INSERT INTO _meta VALUES (?, ?)",
                        [("fingerprint", fp), ("rocsreport", __version__)])
        con.execute("CHECKPOINT")
    except BaseException as exc:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
        tmp.unlink(missing_ok=True)
        tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
        if isinstance(exc, duckdb.IOException | OSError) and "space" in str(exc).lower():
            raise IngestError(f"cannot write the database {db}: the disk is full; the "
                              "previous database is unchanged") from None
        if isinstance(exc, duckdb.OutOfMemoryException):
            first = str(exc).splitlines()[0]
            raise IngestError(f"the load ran out of the memory it may use ({first}); raise "
                              "ROCSREPORT_MEMORY_LIMIT (e.g. ROCSREPORT_MEMORY_LIMIT=4GB); the "
                              "previous database is unchanged") from None
        raise
    con.close()
    shutil.rmtree(spill, ignore_errors=True)
    try:
        _enforce_reject_limit(study, summaries, rejects)
    except IngestError:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, db)
    return LoadResult(db, summaries, reused=False, extra_columns=extra)


def check(study: Study) -> tuple[tuple[SourceLoad, ...], tuple[Reject, ...],
                                 tuple[tuple[str, str], ...]]:
    """Run the whole load in memory and return what it would load and reject (for validate)."""
    return check_all(study)[:3]


def check_all(study: Study) -> tuple[tuple[SourceLoad, ...], tuple[Reject, ...],
                                     tuple[tuple[str, str], ...], tuple[str, ...]]:
    """As ``check``, plus the loaded organisation ids of a benchmark study (for the checks
    that need the data as a whole, such as ids a reader could take for one another)."""
    con = duckdb.connect(":memory:", config=NO_EXTENSIONS)
    try:
        loads, rejects, extra = _load_into(con, study)
        ids: tuple[str, ...] = ()
        if study.benchmark is not None:
            src = study.source(study.benchmark.organisations)
            ids = tuple(str(r[0]) for r in con.execute(
                f"SELECT {quote_ident(src.id_column)} FROM {quote_ident(src.id)} ORDER BY 1"
            ).fetchall())
        return loads, rejects, extra, ids
    finally:
        con.close()


def open_db(db: Path) -> duckdb.DuckDBPyConnection:
    """Open a loaded database read-only, with file and network access switched off."""
    con = duckdb.connect(str(db), read_only=True, config=NO_EXTENSIONS)
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


def read_summary(db: Path) -> tuple[SourceLoad, ...]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT source, file, rows, loaded, rejected, detail FROM "
                           "_load_summary ORDER BY ordinal").fetchall()
    finally:
        con.close()
    return tuple(SourceLoad(*r) for r in rows)


def read_rejects(con: duckdb.DuckDBPyConnection) -> tuple[Reject, ...]:
    rows = con.execute("SELECT source, file, line, \"column\", value, reason FROM rejects "
                       "ORDER BY source, line, \"column\"").fetchall()
    return tuple(Reject(*r) for r in rows)


def _enforce_reject_limit(study: Study, summaries: tuple[SourceLoad, ...],
                          rejects: tuple[Reject, ...]) -> None:
    for s in summaries:
        if s.rows and s.reject_rate > study.max_reject_rate:
            first = next(r for r in rejects if r.source == s.source)
            raise IngestError(
                f"{s.file}: {s.rejected} of {s.rows} rows rejected ({s.reject_rate:.1%}), above "
                f"the limit of {study.max_reject_rate:.0%} (load.max_reject_rate); first: "
                f"{first.message()}. Run `rocsreport validate` to list them all")


def _read_raw(con: duckdb.DuckDBPyConnection, study: Study, source: Source, table: str
              ) -> tuple[list[str], ReadInfo]:
    from .progress import step

    size = source.file.stat().st_size if source.file.is_file() else 0
    step(f"reading {source.relpath} (" + (f"{size / 1e6:,.1f} MB)" if size >= 1e6 else
                                         f"{max(1, round(size / 1e3))} kB)"))
    info = read_into(con, source.file, source.relpath, source.format, table, source.sheet,
                     int(study.max_file_mb * 1e6))
    cols = [r[0] for r in con.execute(f"SELECT column_name FROM (DESCRIBE {table})").fetchall()]
    return cols, info


def _check_sql(q: Question, col: str, source: Source, study: Study
               ) -> list[tuple[str, list[object]]]:
    """SELECT statements yielding (rowid, value, reason) for every bad value of one column."""
    v = f"trim({col})"
    if q.type == "number" and source.decimal == ",":
        v = f"replace(trim({col}), ',', '.')"
    out: list[tuple[str, list[object]]] = []

    def sel(cond: str, cond_params: list[object], reason: str | None = None,
            reason_sql: str = "?", reason_params: list[object] | None = None) -> None:
        # Parameters follow the text: the reason (in SELECT) comes before the condition.
        params = ([reason] if reason is not None else list(reason_params or [])) + cond_params
        out.append((f"SELECT rowid, {col}, {reason_sql} FROM raw WHERE {cond}", params))

    if q.type in ("single", "likert"):
        codes = [c.value for c in q.codes]
        sel(f"{col} IS NOT NULL AND NOT list_contains(?, {v})", [codes],
            f"is not in the codebook for {q.id} (expected one of: {', '.join(codes)})")
    elif q.type == "multi":
        codes = [c.value for c in q.codes]
        bad = f"list_filter(str_split({col}, ?), lambda x: NOT list_contains(?, trim(x)))"
        sel(f"{col} IS NOT NULL AND len({bad}) > 0", [q.separator, codes],
            reason_sql=f"'has option(s) not in the codebook for {q.id}: ' || "
            f"array_to_string({bad}, ', ') || ' (expected options from: ' || ? || ')'",
            reason_params=[q.separator, codes, ", ".join(codes)])
    elif q.type == "number":
        num = f"TRY_CAST({v} AS DOUBLE)"
        sel(f"{col} IS NOT NULL AND {num} IS NULL", [], f"is not a number ({q.id})")
        # 'nan', 'inf' and 1e309 parse as doubles but are no survey answer: never loaded.
        sel(f"{num} IS NOT NULL AND (isnan({num}) OR isinf({num}))", [],
            f"is not a finite number ({q.id}; expected a number such as 7 or 2.5)")
        if q.min is not None or q.max is not None:
            lo = float("-inf") if q.min is None else q.min
            hi = float("inf") if q.max is None else q.max
            sel(f"{num} IS NOT NULL AND ({num} < ? OR {num} > ?)", [lo, hi],
                f"is outside the range {_num(q.min)} to {_num(q.max)} ({q.id})")
        if source.weight == q.id:
            sel(f"{col} IS NULL", [], "is missing; every row needs a weight")
            sel(f"{num} IS NOT NULL AND {num} <= 0", [], f"is not a positive weight ({q.id})")
    elif q.type == "date":
        sel(f"{col} IS NOT NULL AND TRY_CAST({v} AS DATE) IS NULL", [],
            f"is not a date ({q.id}; expected a date written YYYY-MM-DD, such as 2025-01-06)")
    elif q.id in source.key_columns:
        sel(f"{col} IS NULL", [], "is missing; every row needs its id")
    elif q.type == "id" and q.references is not None and q.references != source.id:
        ref = study.source(q.references)
        sel(f"{col} IS NOT NULL AND {v} NOT IN (SELECT {quote_ident(ref.id_column)} FROM "
            f"{quote_ident(ref.id)})", [],
            f"is not an id of source {ref.id!r} ({ref.relpath})")
    return out


def _num(x: float | None) -> str:
    if x is None:
        return "any"
    return str(int(x)) if float(x).is_integer() else str(x)


def _typed(q: Question, col: str, decimal: str = ".") -> str:
    v = f"trim({col})" if decimal == "." or q.type != "number" else \
        f"replace(trim({col}), ',', '.')"
    if q.type == "likert":
        return f"CAST({v} AS INTEGER) AS {col}"
    if q.type == "number":
        return f"CAST({v} AS DOUBLE) AS {col}"
    if q.type == "date":
        return f"CAST({v} AS DATE) AS {col}"
    if q.type == "multi":
        # Options are kept sorted and distinct, so the same answer always loads the same way.
        return (f"list_sort(list_distinct(list_transform(str_split({col}, ?), "
                f"lambda x: trim(x)))) AS {col}")
    if q.type in ("single", "id"):
        return f"{v} AS {col}"
    return f"{col} AS {col}"


def _load_into(con: duckdb.DuckDBPyConnection, study: Study
               ) -> tuple[tuple[SourceLoad, ...], tuple[Reject, ...], tuple[tuple[str, str], ...]]:
    con.execute("CREATE TABLE rejects (source VARCHAR, file VARCHAR, line BIGINT, "
                "\"column\" VARCHAR, value VARCHAR, reason VARCHAR)")
    con.execute("CREATE TABLE _load_summary (ordinal INTEGER, source VARCHAR, file VARCHAR, "
                "rows BIGINT, loaded BIGINT, rejected BIGINT, detail VARCHAR)")
    summaries: list[tuple[int, SourceLoad]] = []
    infos: dict[str, ReadInfo] = {}
    extra: list[tuple[str, str]] = []
    missing: list[str] = []
    # A source that others reference (organisations) is loaded before them.
    referenced = {q.references for q in study.questions if q.references}
    order = sorted(enumerate(study.sources), key=lambda t: (t[1].id not in referenced, t[0]))
    for ordinal, source in order:
        con.execute("DROP TABLE IF EXISTS raw")
        columns, info = _read_raw(con, study, source, "raw")
        first = info.first_line
        if info.lines_table:
            lines = info.lines_table

            def line(x: str, lines: str = lines) -> str:
                return f"(SELECT _pl.line FROM {lines} AS _pl WHERE _pl.data_row = {x})"
        else:
            def line(x: str, first: int = first) -> str:
                return f"({x} + {first})"
        infos[source.id] = info
        questions = study.questions_of(source.id)
        needed = [(q.id, c) for q in questions
                  for c in ([col for _, col in q.option_columns] or [q.file_column])]
        absent = sorted({c for _, c in needed if c not in columns}, key=str)
        missing += [f"{source.relpath}: missing column {c!r} (declared in study.yaml questions "
                    f"for source {source.id!r})" for c in absent]
        declared = {c for _, c in needed}
        extra += [(source.relpath, c) for c in columns if c not in declared]
        if absent:
            continue
        _map_columns(con, questions)
        _collect_rejects(con, study, source, questions, line)
        rows = con.execute("SELECT count(*) FROM raw").fetchone()[0]
        params: list[object] = []
        selects = []
        for q in questions:
            sql = _typed(q, quote_ident(q.id), source.decimal)
            if q.type == "multi":
                params.append(q.separator)
            selects.append(sql)
        con.execute(
            f"CREATE TABLE {quote_ident(source.id)} AS SELECT {line('raw.rowid')} AS _line, "
            f"{', '.join(selects)} FROM raw WHERE {line('raw.rowid')} NOT IN "
            "(SELECT line FROM rejects WHERE source = ?) ORDER BY rowid", [*params, source.id])
        loaded = con.execute(f"SELECT count(*) FROM {quote_ident(source.id)}").fetchone()[0]
        detail = _detail(info)
        summaries.append((ordinal, SourceLoad(source.id, source.relpath, rows, loaded,
                                              rows - loaded, detail)))
        con.execute("INSERT INTO _load_summary VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [ordinal, source.id, source.relpath, rows, loaded, rows - loaded, detail])
    con.execute("DROP TABLE IF EXISTS raw")
    if missing:
        raise IngestError("; ".join(missing))
    if study.design is not None and not study.design.nest and study.design.clusters:
        _check_nesting(con, study)
    if study.derives_weights:
        _derive_weights(con, study)
    if study.rake is not None:
        _apply_rake(con, study)
    # Rewrite rejects in a fixed order so that two loads give the same table.
    con.execute("CREATE TABLE _r AS SELECT * FROM rejects "
                "ORDER BY source, line, \"column\", reason")
    con.execute("DROP TABLE rejects")
    con.execute("ALTER TABLE _r RENAME TO rejects")
    return tuple(s for _, s in sorted(summaries)), read_rejects(con), tuple(extra)


def _detail(info: ReadInfo) -> str:
    parts = []
    if info.layout != "plain":
        parts.append(f"{info.layout} layout detected")
    if info.encoding not in ("utf-8", "binary"):
        parts.append(f"encoding {info.encoding}")
    if info.sheet:
        parts.append(f"sheet {info.sheet!r}, header on row {info.header_row}")
    return "; ".join(parts)


def _map_columns(con: duckdb.DuckDBPyConnection, questions: tuple[Question, ...]) -> None:
    """Give each question's column its id: rename columns declared with `column:`, and build a
    multi question from its one-column-per-option form (a cell that is not blank or 0 means
    the option was chosen; a respondent with no option chosen has no answer)."""
    for q in questions:
        if q.column and q.column != q.id:
            con.execute(f"ALTER TABLE raw RENAME COLUMN {quote_ident(q.column)} TO "
                        f"{quote_ident(q.id)}")
        _labels_to_codes(con, q)
        if q.option_columns:
            picks = ", ".join(
                f"CASE WHEN coalesce(trim({quote_ident(col)}), '') NOT IN ('', '0') THEN "
                f"{sql_list([code])[1:-1]} END" for code, col in q.option_columns)
            con.execute(f"ALTER TABLE raw ADD COLUMN {quote_ident(q.id)} VARCHAR")
            con.execute(f"UPDATE raw SET {quote_ident(q.id)} = nullif(array_to_string("
                        f"list_filter([{picks}], lambda x: x IS NOT NULL), ?), '')",
                        [q.separator])


def _labels_to_codes(con: duckdb.DuckDBPyConnection, q: Question) -> None:
    """A single or agreement question whose data holds the labels ("Strongly agree") rather
    than the codes (5): each label is replaced by its code before the values are checked, so
    that both forms load to the same table. A value that is itself a code stays as it is."""
    if q.type not in ("single", "likert"):
        return
    values = {c.value for c in q.codes}
    pairs = [(c.label, c.value) for c in q.codes if c.label not in values and c.label]
    if not pairs:
        return
    col = quote_ident(q.id)
    whens = " ".join("WHEN ? THEN ?" for _ in pairs)
    con.execute(f"UPDATE raw SET {col} = CASE trim({col}) {whens} ELSE {col} END "
                f"WHERE {col} IS NOT NULL AND NOT list_contains(?, trim({col}))",
                [x for pair in pairs for x in pair] + [sorted(values)])


def _check_nesting(con: duckdb.DuckDBPyConnection, study: Study) -> None:
    """With nest: false a PSU id names one PSU, so it must not appear in two strata (R's
    svydesign refuses such data for the same reason)."""
    d = study.design
    assert d is not None
    if d.strata is None:
        return
    psu, st = quote_ident(d.clusters[0]), quote_ident(d.strata)
    row = con.execute(f"SELECT {psu}, count(DISTINCT {st}) FROM {quote_ident(study.survey.id)} "
                      "GROUP BY 1 HAVING count(DISTINCT " + st + ") > 1 ORDER BY 1 LIMIT 1"
                      ).fetchone()
    if row:
        raise IngestError(f"design: PSU {row[0]!r} appears in {row[1]} strata, but design.nest "
                          "is false; set nest: true if PSU ids repeat across strata")


def _derive_weights(con: duckdb.DuckDBPyConnection, study: Study) -> None:
    """A design with no weight: the weights R's svydesign derives from the fpcs."""
    from .design import Design, WeightError, derive_weights
    from .spec import FPC_WEIGHT

    d = study.design
    assert d is not None
    try:
        derive_weights(con, Design(study.survey.id, None, d.strata, d.clusters, d.fpc),
                       FPC_WEIGHT)
    except WeightError as exc:
        raise IngestError(f"{study.survey.relpath}: design.fpc, column {exc}; the weights "
                          "cannot be derived from it: correct the fpc, or add design.weight"
                          ) from None


def _apply_rake(con: duckdb.DuckDBPyConnection, study: Study) -> None:
    """Add the raked weight column to the survey table (IPF to the declared margins)."""
    from .design import Design, rake
    from .spec import RAKED_WEIGHT

    assert study.rake is not None
    base = study.design_weight
    names = [q for q, _ in study.rake.margins]
    table = quote_ident(study.survey.id)
    for q in names:
        blank = con.execute(f"SELECT count(*) FROM {table} WHERE {quote_ident(q)} IS NULL"
                            ).fetchone()[0]
        if blank:
            raise IngestError(f"rake: margin {q!r} has {blank} respondent(s) with no answer; "
                              "raking needs every respondent in every margin")
    factors = rake(con, Design(study.survey.id, base),
                   {q: dict(pairs) for q, pairs in study.rake.margins},
                   study.rake.epsilon, study.rake.maxit)
    keys = ", ".join(f"k{i} VARCHAR" for i in range(len(names)))
    con.execute(f"CREATE TEMP TABLE _rake_factor ({keys}, f DOUBLE)")
    con.executemany(f"INSERT INTO _rake_factor VALUES ({', '.join('?' * (len(names) + 1))})",
                    [(*k, f) for k, f in sorted(factors.items())])
    w = f"CAST({quote_ident(base)} AS DOUBLE)" if base else "1.0::DOUBLE"
    match = " AND ".join(f"CAST({table}.{quote_ident(q)} AS VARCHAR) = _rake_factor.k{i}"
                         for i, q in enumerate(names))
    con.execute(f"ALTER TABLE {table} ADD COLUMN {RAKED_WEIGHT} DOUBLE")
    con.execute(f"UPDATE {table} SET {RAKED_WEIGHT} = {w} * _rake_factor.f FROM _rake_factor "
                f"WHERE {match}")
    con.execute("DROP TABLE _rake_factor")
    if study.rake.trim is not None:
        trim_weights(con, table, RAKED_WEIGHT, *study.rake.trim)


def trim_weights(con: duckdb.DuckDBPyConnection, table: str, col: str, lower: float,
                 upper: float, max_rounds: int = 1000) -> int:
    """R's trimWeights(strict = TRUE): clamp the weights to [lower, upper], share what was
    trimmed equally among the weights that were inside, and repeat until none is outside.
    Returns the number of rounds."""
    c = quote_ident(col)
    out = f"({c} < ? OR {c} > ?)"
    for k in range(max_rounds):
        n_out, n_in, trimmed = con.execute(
            f"SELECT count(*) FILTER (WHERE {out}), count(*) FILTER (WHERE NOT {out}), "
            f"coalesce(sum({c} - greatest(?, least({c}, ?))), 0) FROM {table}",
            [lower, upper, lower, upper, lower, upper]).fetchone()
        if n_out == 0:
            return k
        if n_in == 0:
            raise IngestError(f"rake.trim: every weight is outside {lower:g} to {upper:g}")
        con.execute(f"UPDATE {table} SET {c} = CASE WHEN {out} THEN greatest(?, least({c}, ?)) "
                    f"ELSE {c} + ? END", [lower, upper, lower, upper, trimmed / n_in])
    raise IngestError(f"rake.trim: the weights still fall outside {lower:g} to {upper:g} after "
                      f"{max_rounds} rounds")


def _collect_rejects(con: duckdb.DuckDBPyConnection, study: Study, source: Source,
                     questions: tuple[Question, ...], line=lambda x: f"({x} + 2)") -> None:
    """Every bad value and duplicate id into ``rejects``; ``line(x)`` is the SQL of the
    physical line of data row ``x``."""
    head = f"INSERT INTO rejects SELECT ?, ?, {line('t.rowid')}, ?, v, reason FROM ("
    for q in questions:
        for sql, params in _check_sql(q, quote_ident(q.id), source, study):
            con.execute(f"{head}{sql}) AS t(rowid, v, reason)",
                        [source.id, source.relpath, q.id, *params])
    # Duplicate ids: identical copies keep the first; conflicting copies are all rejected,
    # since nothing says which one is right.
    key = source.key_columns
    idc = "concat_ws(' / ', " + ", ".join(f"trim({quote_ident(c)})" for c in key) + ")"
    others = [quote_ident(q.id) for q in questions if q.id not in key]
    what = "respondent id" if not source.key else "key (" + ", ".join(key) + ")"
    row_hash = f"hash(row({', '.join(others)}))" if others else "0"
    present = " AND ".join(f"{quote_ident(c)} IS NOT NULL" for c in key)
    # The repeated ids are found first with a plain count (duplicates are rare); only their
    # rows are hashed and listed, which at 10 million rows costs a fraction of doing it for
    # every row.
    con.execute(f"""
        INSERT INTO rejects
        WITH d AS (SELECT {idc} AS id FROM raw WHERE {present} GROUP BY 1 HAVING count(*) > 1),
             r AS (SELECT rowid, {idc} AS id, {row_hash} AS h FROM raw
                   WHERE {present} AND {idc} IN (SELECT id FROM d)),
             g AS (SELECT id, count(*) AS n, count(DISTINCT h) AS variants, min(rowid) AS first,
                          list({line('r.rowid')} ORDER BY rowid) AS lines
                   FROM r GROUP BY id HAVING count(*) > 1)
        SELECT ?, ?, {line('r.rowid')}, ?, r.id,
               CASE WHEN g.variants = 1
                    THEN 'is a duplicate {what}; an identical row is loaded from line '
                         || {line('g.first')}
                    ELSE 'is a duplicate {what} with different answers on lines '
                         || array_to_string(g.lines, ', ') || '; all are rejected' END
        FROM r JOIN g USING (id)
        WHERE g.variants > 1 OR r.rowid > g.first
    """, [source.id, source.relpath, ", ".join(key)])
