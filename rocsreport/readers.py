"""Input files -> a text table in DuckDB, whatever shape they arrive in.

CSV in UTF-8 (with or without a BOM), UTF-16 or cp1252, with comma, semicolon or tab delimiters,
CRLF line ends and quoted newlines; Parquet; Excel (.xlsx, read by python-calamine); SPSS (.sav,
read by pyreadstat); and the Qualtrics export layout (three header rows). Every value arrives as
text: types come from the codebook afterwards, never from sniffing.

Excel and SPSS files are parsed in a separate process with memory and time limits, so a
malformed or malicious file gives an error rather than a crash or a hang.
"""

from __future__ import annotations

import codecs
import csv
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .errors import IngestError

FORMATS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".parquet": "parquet",
           ".xlsx": "xlsx", ".sav": "sav"}
PARSE_SECONDS = 120
PARSE_MEMORY = 4 << 30  # bytes of address space for the parser process


@dataclass(frozen=True)
class ReadInfo:
    encoding: str = "utf-8"
    layout: str = "plain"  # plain, qualtrics
    sheet: str | None = None
    header_row: int = 1  # the file line (or sheet row) just above the first data row
    # A table (r, line) of each data row's physical line, when blank lines or quoted newlines
    # make them differ from header_row + 1 + row number.
    lines_table: str | None = None

    @property
    def first_line(self) -> int:
        return self.header_row + 1


def detect_encoding(path: Path) -> str:
    """UTF-8 (BOM or not), UTF-16 (by its BOM), else cp1252 when the bytes are not UTF-8."""
    with path.open("rb") as f:
        head = f.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as f:
        try:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"


def _transcode(path: Path, encoding: str, out: Path) -> None:
    """Rewrite as UTF-8 in chunks (no per-row work); cp1252 bytes it cannot map are an error."""
    with path.open("r", encoding=encoding, newline="") as src, \
            out.open("w", encoding="utf-8", newline="") as dst:
        for chunk in iter(lambda: src.read(1 << 20), ""):
            dst.write(chunk)


def read_into(con: duckdb.DuckDBPyConnection, path: Path, relpath: str, fmt: str, table: str,
              sheet: str | None = None, max_bytes: int | None = None) -> ReadInfo:
    """Create TEMP TABLE ``table`` of text columns from ``path``; rowid is the data row order."""
    if not path.is_file():
        raise IngestError(f"{relpath}: file not found")
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise IngestError(f"{relpath}: {size:,} bytes is above the limit of {max_bytes:,} "
                          "bytes (load.max_file_mb)")
    if fmt == "parquet":
        _sql(con, relpath, f"CREATE TEMP TABLE {table} AS SELECT COLUMNS(*)::VARCHAR FROM "
             "read_parquet(?)", [str(path)])
        return ReadInfo(encoding="binary")
    if fmt in ("xlsx", "sav"):
        return _read_limited(con, path, relpath, fmt, table, sheet)
    encoding = detect_encoding(path)
    with tempfile.TemporaryDirectory(prefix="rocsreport-") as tmp:
        src = path
        if encoding not in ("utf-8", "utf-8-sig"):
            src = Path(tmp) / "utf8.csv"
            try:
                _transcode(path, encoding, src)
            except UnicodeDecodeError as exc:
                raise IngestError(f"{relpath}: not readable as {encoding} (byte {exc.start} of "
                                  "a chunk); save the file as UTF-8") from None
        layout, skip, names = _layout(src)
        delim = _delimiter(src)
        _unique_header(src, relpath, delim)
        if layout == "surveymonkey":
            _sql(con, relpath, f"CREATE TEMP TABLE {table} AS SELECT * FROM read_csv(?, "
                 "all_varchar = true, header = false, skip = 2, delim = ?, quote = '\"', "
                 "escape = '\"', strict_mode = true, null_padding = false, "
                 "max_line_size = 67108864)", [str(src), delim])
            cols = [r[0] for r in con.execute(f"SELECT column_name FROM (DESCRIBE {table})"
                                              ).fetchall()]
            for old, new in zip(cols, names, strict=False):
                con.execute(f'ALTER TABLE {table} RENAME COLUMN "{old}" TO '
                            '"' + new.replace('"', '""') + '"')
            lines = _physical_lines(con, src, table, delim, 2, relpath, layout)
            return ReadInfo(encoding=encoding, layout=layout, header_row=2, lines_table=lines)
        # Qualtrics puts the question text and an ImportId under the variable names. The
        # dialect is fixed (not sniffed), so a ragged row is an error, not a new guess.
        _sql(con, relpath, f"CREATE TEMP TABLE {table} AS SELECT * FROM read_csv(?, "
             "all_varchar = true, header = true, delim = ?, quote = '\"', escape = '\"', "
             "strict_mode = true, null_padding = false, max_line_size = 67108864) "
             + ("OFFSET ?" if skip else ""),
             [str(src), delim, *([skip] if skip else [])])
        lines = _physical_lines(con, src, table, delim, 1 + skip, relpath, layout)
    return ReadInfo(encoding=encoding, layout=layout, header_row=1 + skip, lines_table=lines)


def _physical_lines(con: duckdb.DuckDBPyConnection, path: Path, table: str, delim: str,
                    header_records: int, relpath: str = "", layout: str = "plain"
                    ) -> str | None:
    """Where blank lines or quoted newlines make a file's physical lines differ from its
    records, a table of each data row's first physical line, so every message names the line
    an editor shows. A regular file (the usual case) is only counted: its newlines, in chunks."""
    breaks, last = 0, b"\n"
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            breaks += chunk.count(b"\n")
            last = chunk[-1:]
    physical = breaks + (0 if last == b"\n" else 1)
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    if physical == rows + header_records:
        return None
    # Irregular: read the records once to find where each starts (the csv module counts
    # physical lines; DuckDB skips blank lines, and so does this).
    limit = csv.field_size_limit()
    csv.field_size_limit((1 << 31) - 1)
    starts: list[int] = []
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f, delimiter=delim)
            prev, seen = 0, 0
            for row in reader:
                start, prev = prev + 1, reader.line_num
                if not row:
                    continue
                seen += 1
                if seen > header_records:
                    starts.append(start)
    finally:
        csv.field_size_limit(limit)
    if len(starts) != rows:
        if layout != "plain":
            # A guessed layout must account for every record: none dropped in silence.
            raise IngestError(f"{relpath}: read as a {layout} export ({header_records} header "
                              f"rows), {rows:,} data rows were found but the file holds "
                              f"{len(starts):,} records after its header rows; check that it "
                              "is an unedited export")
        return None  # the reader disagrees with DuckDB: keep row-based numbering
    name = f"{table}_lines"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT "
                "generate_subscripts($1, 1) - 1 AS data_row, unnest($1) AS line", [starts])
    return name


def _unique_header(path: Path, relpath: str, delim: str) -> None:
    """Two columns with one name: which one holds the answers? Refuse, naming both."""
    with path.open("r", encoding="utf-8-sig", newline="") as f:
        header = next(csv.reader(f, delimiter=delim), [])
    seen: dict[str, int] = {}
    for k, name in enumerate(header, 1):
        name = name.strip()
        if name and name in seen:
            raise IngestError(f"{relpath}: line 1: columns {seen[name]} and {k} are both named "
                              f"{name!r}; every column needs its own name")
        seen.setdefault(name, k)


def _delimiter(path: Path) -> str:
    """Comma, semicolon or tab: whichever the header line holds most of."""
    with path.open("r", encoding="utf-8-sig", newline="") as f:
        first = f.readline()
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


SURVEYMONKEY_SUBHEADS = ("Response", "Open-Ended Response")


def _layout(path: Path) -> tuple[str, int, list[str]]:
    """Recognise survey-platform exports.

    Qualtrics: the third row holds {"ImportId": ...} cells (two rows to skip). SurveyMonkey:
    the second row holds "Response" (or the option of a multiple-choice question spread over
    columns) under each question; the column becomes "question | option", the question text
    carried across the blank cells after it.
    """
    import csv

    delim = _delimiter(path)
    with path.open("r", encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f, delimiter=delim)
        head = [row for _, row in zip(range(3), reader, strict=False)]
    # Qualtrics only when its third row is all ImportId cells: one data cell that happens to
    # start that way must not drop two rows of a plain file.
    third = [c for c in head[2] if c.strip()] if len(head) == 3 else []
    if third and len(third) * 2 >= len(head[2]) and all(
            c.startswith('{"ImportId"') for c in third):
        return "qualtrics", 2, []
    if len(head) >= 2 and any(c in SURVEYMONKEY_SUBHEADS for c in head[1]):
        names, current, seen = [], "", {}
        for top, sub in zip(head[0], head[1] + [""] * len(head[0]), strict=False):
            current = top.strip() or current
            name = current if sub.strip() in ("", *SURVEYMONKEY_SUBHEADS) else \
                f"{current} | {sub.strip()}"
            seen[name] = seen.get(name, 0) + 1
            names.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
        return "surveymonkey", 1, names
    return "plain", 0, []


def _sql(con: duckdb.DuckDBPyConnection, relpath: str, sql: str, params: list) -> None:
    try:
        con.execute(sql, params)
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise IngestError(f"{relpath}: could not read the file: {first}") from None


def _read_limited(con: duckdb.DuckDBPyConnection, path: Path, relpath: str, fmt: str,
                  table: str, sheet: str | None) -> ReadInfo:
    """Parse in a child process under memory and time limits; it writes Parquet of text."""
    import multiprocessing as mp

    with tempfile.TemporaryDirectory(prefix="rocsreport-") as tmp:
        out = Path(tmp) / "table.parquet"
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        proc = ctx.Process(target=_parse_child, args=(str(path), fmt, sheet, str(out), queue))
        proc.start()
        proc.join(PARSE_SECONDS)
        if proc.is_alive():
            proc.kill()
            proc.join()
            raise IngestError(f"{relpath}: parsing took longer than {PARSE_SECONDS} s; the file "
                              "may be malformed")
        result = queue.get() if not queue.empty() else {"error": "the parser stopped "
                                                        f"(exit code {proc.exitcode}); the file "
                                                        "may be malformed or too large"}
        if "error" in result:
            raise IngestError(f"{relpath}: {result['error']}")
        _sql(con, relpath, f"CREATE TEMP TABLE {table} AS SELECT * FROM read_parquet(?)",
             [str(out)])
    return ReadInfo(encoding="binary", sheet=result.get("sheet"),
                    header_row=result.get("header_row", 1))


def _parse_child(path: str, fmt: str, sheet: str | None, out: str, queue) -> None:
    import resource

    try:
        resource.setrlimit(resource.RLIMIT_AS, (PARSE_MEMORY, PARSE_MEMORY))
    except (ValueError, OSError):
        pass
    try:
        if fmt == "sav":
            frame, info = _sav_frame(path)
        else:
            frame, info = _xlsx_frame(path, sheet)
        frame.to_parquet(out, index=False)
        queue.put(info)
    except MemoryError:
        queue.put({"error": "the parser ran out of memory; the file may be malformed"})
    except Exception as exc:
        queue.put({"error": f"could not read the file: {type(exc).__name__}: {exc}"[:300]})


def _xlsx_frame(path: str, sheet: str | None):
    import pandas as pd
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(path)
    names = wb.sheet_names
    if sheet is None:
        sheet = names[0]
    elif sheet not in names:
        raise ValueError(f"no sheet {sheet!r} (the workbook has: {', '.join(names)})")
    rows = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    # The header is the first row whose cells are mostly non-empty text (titles above it,
    # such as a report heading, are skipped).
    header = next((k for k, r in enumerate(rows[:50])
                   if sum(isinstance(c, str) and c.strip() != "" for c in r)
                   >= max(2, len(r) // 2)), 0)
    cols = [str(c).strip() for c in rows[header]]
    body = [[_text(c) for c in r] for r in rows[header + 1:]]
    body = [r for r in body if any(c is not None for c in r)]
    frame = pd.DataFrame(body, columns=cols, dtype="object").astype("string")
    return frame, {"sheet": sheet, "header_row": header + 1}


def _text(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _sav_frame(path: str):
    import pyreadstat

    frame, _ = pyreadstat.read_sav(path, user_missing=True, apply_value_formats=False)
    for col in frame.columns:
        frame[col] = frame[col].map(_text).astype("string")
    return frame, {}


def sav_metadata(path: Path) -> dict:
    """Variable labels, value labels and user-missing values of an SPSS file (for init)."""
    import pyreadstat

    _, meta = pyreadstat.read_sav(str(path), metadataonly=True, user_missing=True)
    missing = {}
    for col, values in (meta.missing_user_values or {}).items():
        missing[col] = [_text(v) for v in values]
    for col, ranges in (meta.missing_ranges or {}).items():
        for r in ranges:
            if r["lo"] == r["hi"]:
                missing.setdefault(col, []).append(_text(r["lo"]))
    return {
        "columns": list(meta.column_names),
        "labels": dict(zip(meta.column_names, meta.column_labels, strict=True)),
        "value_labels": {col: {_text(k): str(v) for k, v in meta.variable_value_labels.get(
            col, {}).items()} for col in meta.column_names},
        "missing": missing,
        "types": dict(meta.readstat_variable_types),
    }


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True)


__all__ = ["FORMATS", "ReadInfo", "detect_encoding", "read_into", "sav_metadata"]
