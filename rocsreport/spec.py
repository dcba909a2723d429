"""study.yaml -> a frozen, typed Study. All validation of the study definition lives here.

Validation gathers every problem, each named by its key path, before one abort (as mkdocs does):
a user fixes the file once, not once per run.

>>> from pathlib import Path
>>> study = load_study(Path("surveys/beyond-measurement"))  # doctest: +SKIP
>>> study.indicator("roi_not_measured").question            # doctest: +SKIP
'measure_roi'
"""

from __future__ import annotations

import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import SpecError
from .studyformat import LONELY_PSU, QUESTION_TYPES, keys_at

SOURCE_FORMATS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".parquet": "parquet",
                  ".xlsx": "xlsx", ".sav": "sav"}
_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
RESERVED_TABLES = ("rejects",)
RAKED_WEIGHT = "_raked_weight"
FPC_WEIGHT = "_fpc_weight"  # weights derived from the fpcs (a design with no weight column)


@dataclass(frozen=True)
class Code:
    value: str
    label: str
    missing: bool = False


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    wording: str
    short: str
    sources: tuple[str, ...]
    codes: tuple[Code, ...] = ()
    separator: str | None = None
    min: float | None = None
    max: float | None = None
    scale: str | None = None  # "nps" marks a 0-10 recommendation item
    references: str | None = None  # an id column whose values must be ids of that source
    column: str | None = None  # the file's column name, when it is not the id
    option_columns: tuple[tuple[str, str], ...] = ()  # multi: (code, column) one per option
    measure: str = "mean"  # number: "total" also publishes the estimated population total
    quantiles: tuple[float, ...] = (0.25, 0.5, 0.75)  # number: probabilities, with intervals
    report: bool = True  # false: left out of the report on purpose (listed as not reported)

    @property
    def file_column(self) -> str:
        return self.column or self.id

    @property
    def valid_codes(self) -> tuple[Code, ...]:
        """Codes that are answers (not missing)."""
        return tuple(c for c in self.codes if not c.missing)

    @property
    def missing_codes(self) -> tuple[str, ...]:
        return tuple(c.value for c in self.codes if c.missing)

    def label(self, value: str) -> str:
        for c in self.codes:
            if c.value == value:
                return c.label
        return value

    @property
    def sql_type(self) -> str:
        return {
            "single": "VARCHAR",
            "multi": "VARCHAR[]",
            "likert": "INTEGER",
            "number": "DOUBLE",
            "text": "VARCHAR",
            "id": "VARCHAR",
            "date": "DATE",
        }[self.type]


@dataclass(frozen=True)
class Source:
    id: str
    file: Path  # resolved against the study folder
    relpath: str  # as written in study.yaml, for messages
    id_column: str
    format: str
    weight: str | None = None
    key: tuple[str, ...] = ()  # the columns that identify a row; () means (id_column,)
    sheet: str | None = None  # Excel: the sheet by name (default: the first)
    decimal: str = "."  # "," for decimal commas in number columns

    @property
    def key_columns(self) -> tuple[str, ...]:
        return self.key or (self.id_column,)


@dataclass(frozen=True)
class Indicator:
    id: str
    label: str
    statement: str
    question: str
    numerator: tuple[str, ...]
    base: tuple[str, ...]
    measure: str = "proportion"  # "total" also publishes the estimated population count


@dataclass(frozen=True)
class Group:
    label: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Breakdown:
    id: str
    label: str
    question: str
    groups: tuple[Group, ...]
    compare: tuple[str, str] | None = None
    wave: str | None = None  # "latest": the waves of the study, the latest leads; "pooled"

    @property
    def size(self) -> int:
        """The number of groups."""
        return len(self.groups)


@dataclass(frozen=True)
class Disclosure:
    suppress_below: int = 10
    flag_below: int = 30
    # A withheld figure must stay uncertain by at least this share of its true value, either
    # way, given everything published together (the audit's protection level).
    protection: float = 0.5


@dataclass(frozen=True)
class Precision:
    """Quality flags from the coefficient of variation (se / estimate): above ``cv_caution``
    "use with caution", above ``cv_unreliable`` "unreliable" (the 20% and 30% of NCHS's
    presentation standards, see docs/decisions.md)."""

    cv_caution: float = 0.2
    cv_unreliable: float = 0.3


@dataclass(frozen=True)
class Interviews:
    source: str
    themes: str
    organisation: str
    by: str
    quote: str | None = None
    attribution: tuple[str, ...] = ()


@dataclass(frozen=True)
class Page:
    id: str
    title: str
    file: Path


@dataclass(frozen=True)
class Benchmark:
    """Organisations compared with sector baselines across waves (a satisfaction index)."""

    organisations: str  # source with one row per organisation
    organisation: str  # the organisation id question (in the survey and organisations)
    name: str  # organisation name question (organisations source)
    sector: str  # sector question (organisations source)
    wave: str  # wave question in the survey; code order is time order
    items: tuple[str, ...]  # number questions on a common scale, averaged into the index
    scale: tuple[float, float]  # the items' scale, mapped to 0..100
    nps: str | None = None
    metrics_source: str | None = None
    metrics: tuple[str, ...] = ()
    publish_organisation_scores: bool = False
    min_organisations: int = 5
    max_share: float = 0.25
    change_threshold: float = 1.0
    headline_change: tuple[str, str] | None = None
    rates: tuple[str, ...] = ()  # indicators benchmarked as a percentage of respondents


@dataclass(frozen=True)
class DesignSpec:
    """A sampling design (R's svydesign): weights, strata, clusters by stage, fpc by stage."""

    weight: str | None = None
    strata: str | None = None
    clusters: tuple[str, ...] = ()
    fpc: tuple[str, ...] = ()
    lonely_psu: str = "fail"
    replicate: ReplicateSpec | None = None
    nest: bool = True  # PSU ids are only unique within strata (R's nest = TRUE)


@dataclass(frozen=True)
class ReplicateSpec:
    type: str  # JK1, JKn, BRR
    weights: tuple[str, ...]
    scale: float | None = None
    rscales: tuple[float, ...] = ()
    mse: bool = False
    df: int | None = None


@dataclass(frozen=True)
class RakeSpec:
    """Raking to population margins: (question, ((code, total), ...)) per margin."""

    margins: tuple[tuple[str, tuple[tuple[str, float], ...]], ...]
    epsilon: float = 1.0  # R's rake(control = list(epsilon, maxit)), read as R reads them
    maxit: int = 10
    trim: tuple[float, float] | None = None  # (lower, upper) bounds on the raked weights
    # "calibrated": standard errors allow for the raking, as R's for a design from rake();
    # "fixed": the raked weights are treated as given sampling weights.
    variance: str = "calibrated"


@dataclass(frozen=True)
class Crosstab:
    rows: str  # a single or Likert question of the survey
    columns: str  # a breakdown id


@dataclass(frozen=True)
class Edition:
    """An earlier edition: its label and where it is published (a relative path or a URL)."""

    label: str
    link: str = ""


@dataclass(frozen=True)
class Publication:
    """What a publication carries besides its figures (``publication:`` in study.yaml)."""

    release: str = ""  # ISO date of release, e.g. 2014-07-15
    edition: str = ""
    earlier: tuple[Edition, ...] = ()
    licence: str = ""  # an SPDX licence id, e.g. CC-BY-4.0
    contact: str = ""
    cite: str = ""  # the citation sentence; made from the title, publisher and year if empty
    lang: str = "en-GB"
    locale: str = "en_GB"  # Babel's id of the locale for numbers and dates (default: lang's)

    @property
    def year(self) -> str:
        return self.release[:4]

    @property
    def licence_url(self) -> str:
        return f"https://spdx.org/licenses/{self.licence}.html" if self.licence else ""


# SPDX ids a report's licence is usually one of; any other id of the SPDX list's form is
# accepted (LicenseRef-... included), these are only named in the error message.
COMMON_LICENCES = ("CC-BY-4.0", "CC-BY-SA-4.0", "CC-BY-NC-4.0", "CC0-1.0", "OGL-UK-3.0")
_SPDX_RE = re.compile(r"^(?:LicenseRef-[A-Za-z0-9.\-]+|[A-Za-z0-9][A-Za-z0-9.+\-]*)$")
_LANG_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Z]{2})?$")


@dataclass(frozen=True)
class Study:
    root: Path
    title: str
    publisher: str
    fieldwork: str
    sample: str
    synthetic: bool
    unit: str
    sources: tuple[Source, ...]
    questions: tuple[Question, ...]
    indicators: tuple[Indicator, ...]
    breakdowns: tuple[Breakdown, ...]
    disclosure: Disclosure = field(default_factory=Disclosure)
    max_reject_rate: float = 0.05
    max_file_mb: float = 2048.0
    confidence: float = 0.95
    precision: Precision = field(default_factory=Precision)
    interviews: Interviews | None = None
    pages: tuple[Page, ...] = ()
    benchmark: Benchmark | None = None
    design: DesignSpec | None = None
    rake: RakeSpec | None = None
    crosstabs: tuple[Crosstab, ...] = ()
    crossed: tuple[tuple[str, str], ...] = ()  # two-way breakdowns: (breakdown, within)
    keep: tuple[str, ...] = ()  # publish.keep: files a user adds to the built site (CNAME)
    interactive: bool = False  # charts.interactive: tooltips and legends, drawn by vega-embed
    publication: Publication = field(default_factory=Publication)
    tracker: Any = None  # trackspec.Tracker: the ROCS programme tracker

    @property
    def wave_breakdown(self) -> Breakdown | None:
        """The breakdown by wave whose latest wave leads the headlines: one declared
        ``wave: true``, else the one on the benchmark's wave question. None when the study
        pools its waves (``wave: pooled``) or has none."""
        for b in self.breakdowns:
            if b.wave:
                return b if b.wave == "latest" else None
        if self.benchmark is not None:
            return next((b for b in self.breakdowns if b.question == self.benchmark.wave),
                        None)
        return None

    @property
    def weight_column(self) -> str | None:
        """The column every estimate is weighted by: raked weights, else the design's, else
        the survey source's."""
        if self.rake is not None:
            return RAKED_WEIGHT
        return self.design_weight

    @property
    def design_weight(self) -> str | None:
        """The weight before any raking: the design's column, else the survey source's, else
        the weights derived from the fpcs (as R's svydesign does with no weights)."""
        if self.design is not None and self.design.weight:
            return self.design.weight
        if self.survey.weight:
            return self.survey.weight
        return FPC_WEIGHT if self.derives_weights else None

    @property
    def derives_weights(self) -> bool:
        """A design with an fpc for every stage and no weight column anywhere."""
        d = self.design
        return (d is not None and not d.weight and not self.survey.weight and d.replicate is None
                and bool(d.fpc) and len(d.fpc) >= max(1, len(d.clusters)))
    subtitle: str = ""

    def question(self, qid: str) -> Question:
        return next(q for q in self.questions if q.id == qid)

    def source(self, sid: str) -> Source:
        return next(s for s in self.sources if s.id == sid)

    def indicator(self, iid: str) -> Indicator:
        return next(i for i in self.indicators if i.id == iid)

    def breakdown(self, bid: str) -> Breakdown:
        return next(b for b in self.breakdowns if b.id == bid)

    def questions_of(self, sid: str) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if sid in q.sources)

    @property
    def survey(self) -> Source:
        """The respondent-level source that indicators are computed on: the first declared."""
        return self.sources[0]

    @property
    def study_file(self) -> Path:
        return self.root / "study.yaml"


# libyaml's parser where PyYAML has it (its wheels do): the same YAML, many times faster.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """A SafeLoader that refuses duplicate keys, which PyYAML would otherwise silently overwrite."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                mark = key_node.start_mark
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


# YAML 1.2's booleans only. PyYAML follows YAML 1.1, which also reads yes, no, on, off, y and
# n (in any capitalisation) as booleans, so that a margin written {No: 1072, Yes: 5122} or a
# code "N" would silently become true and false. A study writes true and false.
_BOOL = "tag:yaml.org,2002:bool"
_UniqueKeyLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()}
_UniqueKeyLoader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


MAX_YAML_BYTES = 4 * 1024 * 1024
MAX_YAML_DEPTH = 64
MAX_YAML_NODES = 1_000_000  # after expanding aliases and merge keys


def _bounded(text: str, name: str) -> yaml.Node | None:
    """Compose the YAML after checking, in one linear pass over its events, that it nests no
    deeper than MAX_YAML_DEPTH (deeper would overflow the composer's recursion); then check
    that expanding its aliases gives at most MAX_YAML_NODES nodes ("billion laughs": a few
    lines of aliases that expand to billions)."""
    depth = 0
    too_deep = f"{name}: nested more than {MAX_YAML_DEPTH} levels deep (at line {{}}); a study " \
        "needs far fewer"
    try:
        for event in yaml.parse(text, Loader=_BaseLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    raise SpecError([too_deep.format(event.start_mark.line + 1)])
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        # libyaml stops at its own depth limit (1000) before yielding the events.
        if "nesting depth" in str(exc.problem) and exc.problem_mark is not None:
            raise SpecError([too_deep.format(exc.problem_mark.line + 1)]) from None
        raise
    root = yaml.compose(text, Loader=_UniqueKeyLoader)
    sizes: dict[int, int] = {}
    # Post-order over the node graph; a node shared by aliases is counted once per use.
    stack: list[tuple[yaml.Node, bool]] = [(root, False)] if root is not None else []
    while stack:
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        kids = ([k for pair in node.value for k in pair] if isinstance(node, yaml.MappingNode)
                else list(node.value) if isinstance(node, yaml.SequenceNode) else [])
        if done:
            sizes[id(node)] = min(MAX_YAML_NODES + 1, 1 + sum(sizes[id(k)] for k in kids))
        else:
            stack.append((node, True))
            stack.extend((k, False) for k in kids if id(k) not in sizes)
    if root is not None and sizes[id(root)] > MAX_YAML_NODES:
        raise SpecError([f"{name}: its aliases expand to more than {MAX_YAML_NODES:,} values; "
                         "a study needs far fewer (is an alias repeated inside itself?)"])
    return root


def read_yaml(path: Path) -> Any:
    """Parse a YAML file, turning syntax errors into one line naming the file, line and column.
    The file must be a regular file of at most MAX_YAML_BYTES, bounded in depth and in what
    its aliases expand to."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise SpecError([f"{path}: file not found"]) from None
    if not stat.S_ISREG(st.st_mode):
        raise SpecError([f"{path}: not a regular file (a study.yaml is a text file)"])
    if st.st_size > MAX_YAML_BYTES:
        raise SpecError([f"{path}: {st.st_size:,} bytes, more than the "
                         f"{MAX_YAML_BYTES // (1024 * 1024)} MB a study.yaml may have"])
    try:
        with path.open("rb") as f:
            text = f.read(MAX_YAML_BYTES + 1).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError([f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from None
    try:
        node = _bounded(text, path.name)
        if node is None:
            return None
        loader = _UniqueKeyLoader("")
        try:
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise SpecError([f"{path.name}: malformed YAML{where}: {problem}"]) from None


class _Checker:
    """Collects problems by key path while reading the raw YAML tree."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[str] = []
        self.reads: list | None = None

    def add(self, path: str, message: str) -> None:
        self.problems.append(f"{self.filename}: {path}: {message}")

    def get(
        self,
        raw: dict[str, Any],
        key: str,
        path: str,
        kind: type | tuple[type, ...],
        *,
        required: bool = True,
        default: Any = None,
        expected: str | None = None,
    ) -> Any:
        full = f"{path}.{key}" if path else key
        if self.reads is not None:
            self.reads.append((full, kind, required, default, bool(raw)))
        if key not in raw or raw[key] is None:
            if required:
                self.add(full, f"missing (expected {expected or _kind_name(kind)})")
            return default
        value = raw[key]
        # bool is an int in Python; a YAML `yes` must not pass as a number.
        if isinstance(value, bool) and kind is not bool and bool not in _as_tuple(kind):
            self.add(full, f"expected {expected or _kind_name(kind)}, got {value!r}")
            return default
        if not isinstance(value, kind):
            self.add(full, f"expected {expected or _kind_name(kind)}, got {_describe(value)}")
            return default
        return value

    def entry(self, path: str, key: Any, body: Any, what: str, allowed: tuple[str, ...]) -> bool:
        """Check one named entry of a mapping section (an indicator, a breakdown)."""
        if not _ID_RE.match(str(key)):
            self.add(path, f"a {what} id must start with a letter and hold only letters, "
                     "digits and underscores")
            return False
        if not isinstance(body, dict):
            self.add(path, f"expected a mapping with {', '.join(allowed[:3])}, ..., got "
                     f"{_describe(body)}")
            return False
        self.unknown_keys(body, allowed, path)
        return True

    def unknown_keys(self, raw: dict[str, Any], allowed: tuple[str, ...], path: str) -> None:
        for key in raw:
            if key not in allowed:
                where = f"{path}.{key}" if path else str(key)
                self.add(where, f"unknown key (expected one of: {', '.join(allowed)})")


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    if set(_as_tuple(kind)) == {int, float}:
        return "a number"
    names = {str: "text", int: "a whole number", float: "a number", bool: "true or false",
             list: "a list", dict: "a mapping"}
    return " or ".join(names.get(k, k.__name__) for k in _as_tuple(kind))


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{value!r}"


def _code_text(value: Any) -> str:
    """Codes are compared as the text that appears in the data file."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_codes(ck: _Checker, raw: Any, path: str, missing: bool) -> list[Code]:
    if raw is None:
        return []
    if isinstance(raw, dict):
        return [Code(_code_text(k), str(v), missing) for k, v in raw.items()]
    if isinstance(raw, list):
        return [Code(_code_text(v), str(v), missing) for v in raw]
    ck.add(path, f"expected a list of codes or a mapping of code: label, got {_describe(raw)}")
    return []


def _read_publication(ck: _Checker, raw: dict[str, Any]) -> Publication:
    """``publication:``: release date and edition, earlier editions, licence, contact, how to
    cite and the language of the pages. Every key is optional."""
    import datetime as dt

    path = "publication"
    ck.unknown_keys(raw, keys_at(path), path)
    release = raw.get("release")
    if isinstance(release, dt.date):
        release = release.isoformat()
    elif release is not None:
        try:
            release = dt.date.fromisoformat(str(release)).isoformat()
        except ValueError:
            ck.add(f"{path}.release", f"expected a date as YYYY-MM-DD, got {release!r}")
            release = None
    text = {k: ck.get(raw, k, path, str, required=False, default="")
            for k in ("edition", "licence", "contact", "cite")}
    lic = text["licence"].strip()
    if lic and not _SPDX_RE.match(lic):
        ck.add(f"{path}.licence", f"expected an SPDX licence id such as "
               f"{', '.join(COMMON_LICENCES[:3])}, got {lic!r}")
    lang = ck.get(raw, "lang", path, str, required=False, default="en-GB")
    if not _LANG_RE.match(lang):
        ck.add(f"{path}.lang", f"expected a language tag such as en-GB or de-DE, got {lang!r}")
    locale = _read_locale(ck, raw, path, lang)
    earlier = []
    for k, e in enumerate(ck.get(raw, "earlier", path, list, required=False, default=[])):
        where = f"{path}.earlier[{k}]"
        if isinstance(e, str):
            earlier.append(Edition(e))
        elif isinstance(e, dict):
            ck.unknown_keys(e, keys_at("publication.earlier[]"), where)
            label = ck.get(e, "edition", where, str)
            link = ck.get(e, "link", where, str, required=False, default="")
            if label:
                earlier.append(Edition(label, link))
        else:
            ck.add(where, f"expected an edition label or a mapping with edition and link, got "
                   f"{_describe(e)}")
    return Publication(release=release or "", edition=text["edition"], earlier=tuple(earlier),
                       licence=lic, contact=text["contact"], cite=text["cite"], lang=lang,
                       locale=locale)


def _read_locale(ck: _Checker, raw: dict[str, Any], path: str, lang: str) -> str:
    """``publication.locale``: how numbers and dates are written (decimal mark, grouping, the
    percent sign, month names), as Babel (CLDR) knows it. Defaults to the pages' language."""
    from .formats import UnknownLocale, parse

    given = ck.get(raw, "locale", path, str, required=False, default="")
    try:
        return parse(given or lang)
    except UnknownLocale:
        if given:
            ck.add(f"{path}.locale", f"expected a locale such as en-GB, en-US or de-DE, got "
                   f"{given!r}")
        else:
            ck.add(f"{path}.lang", f"numbers and dates follow the language, and {lang!r} is not "
                   f"a locale Babel knows: add publication.locale (such as en-GB)")
        return "en_GB"


def load_study(root: Path) -> Study:
    """Read and fully validate ``root/study.yaml``. Raises SpecError listing every problem."""
    root = Path(root)
    if not root.is_dir():
        raise SpecError([f"{root}: not a study folder (expected a folder holding study.yaml)"])
    return check_study(root, read_yaml(root / "study.yaml"))


def check_study(root: Path, raw: Any, reads: list | None = None) -> Study:
    """Validate a parsed study.yaml of the study folder ``root``. ``reads``, when given, is
    filled with how each key was read (its path, kind, requiredness and default), which the
    tests compare with the declared format (studyformat.FORMAT)."""
    if not isinstance(raw, dict):
        raise SpecError([f"study.yaml: expected a mapping at the top level, got {_describe(raw)}"])
    ck = _Checker("study.yaml")
    ck.reads = reads
    ck.unknown_keys(raw, keys_at(""), "")

    title = ck.get(raw, "title", "", str)
    synthetic = ck.get(raw, "synthetic", "", bool)
    meta = {k: ck.get(raw, k, "", str, required=False, default="")
            for k in ("subtitle", "publisher", "fieldwork", "sample")}
    unit = ck.get(raw, "unit", "", str, required=False, default="respondents")

    sources = _read_sources(ck, root, ck.get(raw, "sources", "", dict, default={}))
    if "sources" in raw and isinstance(raw["sources"], dict) and not raw["sources"]:
        ck.add("sources", "expected at least one data source")
    source_ids = tuple(s.id for s in sources)
    questions = _read_questions(ck, ck.get(raw, "questions", "", list, default=[]), source_ids)
    qmap = {q.id: q for q in questions}
    _check_source_columns(ck, sources, qmap)

    indicators = _read_indicators(ck, ck.get(raw, "indicators", "", dict, default={}), qmap,
                                  sources)
    breakdowns = _read_breakdowns(ck, ck.get(raw, "breakdowns", "", dict, required=False,
                                             default={}), qmap)
    disclosure = _read_disclosure(ck, ck.get(raw, "disclosure", "", dict, required=False,
                                             default={}))
    load_raw = ck.get(raw, "load", "", dict, required=False, default={})
    ck.unknown_keys(load_raw, keys_at("load"), "load")
    max_mb = ck.get(load_raw, "max_file_mb", "load", (int, float), required=False, default=2048)
    if max_mb <= 0:
        ck.add("load.max_file_mb", f"expected a positive size in MB, got {max_mb!r}")
    max_reject = ck.get(load_raw, "max_reject_rate", "load", (int, float), required=False,
                        default=0.05)
    if not 0 <= max_reject <= 1:
        ck.add("load.max_reject_rate", f"expected a rate between 0 and 1, got {max_reject!r}")
    confidence = ck.get(raw, "confidence", "", float, required=False, default=0.95)
    if not 0.5 <= confidence < 1:
        ck.add("confidence", f"expected a level between 0.5 and 1, e.g. 0.95, got {confidence!r}")
    precision = _read_precision(ck, ck.get(raw, "precision", "", dict, required=False,
                                           default={}))
    interviews = _read_interviews(ck, ck.get(raw, "interviews", "", dict, required=False),
                                  qmap, {b.id: b for b in breakdowns}, source_ids)
    pages = _read_pages(ck, root, ck.get(raw, "pages", "", list, required=False, default=[]))
    benchmark = _read_benchmark(ck, ck.get(raw, "benchmark", "", dict, required=False), qmap,
                                sources, indicators)
    keep = _read_publish(ck, ck.get(raw, "publish", "", dict, required=False, default={}))
    charts_raw = ck.get(raw, "charts", "", dict, required=False, default={})
    ck.unknown_keys(charts_raw, keys_at("charts"), "charts")
    interactive = ck.get(charts_raw, "interactive", "charts", bool, required=False,
                         default=False)
    publication = _read_publication(ck, ck.get(raw, "publication", "", dict, required=False,
                                               default={}))
    if benchmark is not None and benchmark.sector in qmap:
        sq = qmap[benchmark.sector]
        for c in sq.codes:
            if c.value in RESERVED_LABELS or c.label in RESERVED_LABELS:
                ck.add(f"questions.{sq.id}.codes", f"a sector may not be called {c.value!r}: "
                       "the report uses that label for the nation or the unstated")
        clash = _slug_clashes([c.value for c in sq.codes])
        if clash:
            ck.add(f"questions.{sq.id}.codes", f"sectors {clash[0]!r} and {clash[1]!r} would "
                   "share a page and a file name (sector-….html); make them differ in more than "
                   "punctuation or case")
    design = _read_design(ck, ck.get(raw, "design", "", dict, required=False), qmap, sources)
    if (design is not None and not design.weight and design.fpc and design.replicate is None
            and sources and not sources[0].weight
            and len(design.fpc) < max(1, len(design.clusters))):
        ck.add("design.fpc", f"with no weight column, the weights are derived from the "
               f"population size of every stage (as R's svydesign does), but the design has "
               f"{len(design.clusters)} stages and {len(design.fpc)} fpc: add design.weight "
               f"(the column of sampling weights), or an fpc for each stage")
    rake = _read_rake(ck, ck.get(raw, "rake", "", dict, required=False), qmap, sources)
    from .trackspec import read_tracker

    tracker = read_tracker(ck, ck.get(raw, "tracker", "", dict, required=False), qmap, sources,
                           indicators)
    crosstabs = _read_crosstabs(ck, ck.get(raw, "crosstabs", "", list, required=False,
                                           default=[]), qmap, sources, breakdowns)
    crossed = _read_crossed(ck, ck.get(raw, "crossed", "", list, required=False, default=[]),
                            qmap, sources, breakdowns, design)
    weighted = bool(rake or (design and (design.weight or design.replicate))
                    or (sources and sources[0].weight)
                    or (design and design.fpc and len(design.fpc) >= max(1, len(design.clusters))))
    totals = [f"indicators.{i.id}.measure" for i in indicators if i.measure == "total"] + [
        f"questions ({q.id}).measure" for q in questions if q.measure == "total"]
    if totals and not weighted:
        ck.add(totals[0], "a total estimates the population, so it needs weights that add up "
               "to it: a weight column (sources' weight or design.weight), an fpc for each "
               "stage of the design, or rake margins; without them it would be the count in "
               "the sample")

    if ck.problems:
        raise SpecError(ck.problems)
    return Study(root=root, title=title, synthetic=synthetic, unit=unit, sources=sources,
                 questions=questions, indicators=indicators, breakdowns=breakdowns,
                 disclosure=disclosure, max_reject_rate=float(max_reject),
                 max_file_mb=float(max_mb),
                 confidence=float(confidence), precision=precision, interviews=interviews,
                 pages=pages,
                 benchmark=benchmark, design=design, rake=rake, crosstabs=crosstabs,
                 crossed=crossed, keep=keep, publication=publication,
                 interactive=interactive, tracker=tracker, **meta)


def _read_sources(ck: _Checker, root: Path, raw: dict[str, Any]) -> tuple[Source, ...]:
    out = []
    for sid, body in raw.items():
        path = f"sources.{sid}"
        if not _ID_RE.match(str(sid)) or sid in RESERVED_TABLES:
            ck.add(path, "a source id must start with a letter and hold only letters, digits "
                   f"and underscores, and not be one of: {', '.join(RESERVED_TABLES)}")
            continue
        if not isinstance(body, dict):
            ck.add(path, f"expected a mapping with file and id, got {_describe(body)}")
            continue
        ck.unknown_keys(body, keys_at("sources.*"), path)
        outside = ck.get(body, "outside_study", path, bool, required=False, default=False)
        sheet = ck.get(body, "sheet", path, str, required=False)
        decimal = ck.get(body, "decimal", path, str, required=False, default=".")
        if decimal not in (".", ","):
            ck.add(f"{path}.decimal", f"expected '.' or ',', got {decimal!r}")
        rel = ck.get(body, "file", path, str)
        id_raw = ck.get(body, "id", path, (str, list),
                        expected="the id column, or a list of columns that identify a row")
        key = tuple(str(c) for c in id_raw) if isinstance(id_raw, list) else ()
        id_col = key[0] if key else id_raw
        weight = ck.get(body, "weight", path, str, required=False)
        if rel is None or id_col is None:
            continue
        file = (root / rel).resolve()
        if not outside and not file.is_relative_to(root.resolve()):
            # Absolute, ../ or a symlink out: a contributed study must not read the machine.
            ck.add(f"{path}.file", f"must be inside the study folder, got {rel!r} (which is "
                   f"{file}); to read a file elsewhere on purpose, add outside_study: true")
        fmt = SOURCE_FORMATS.get(file.suffix.lower())
        if fmt is None:
            ck.add(f"{path}.file", f"unsupported file type {file.suffix!r} "
                   f"(expected one of: {', '.join(SOURCE_FORMATS)})")
            continue
        if not file.is_file():
            ck.add(f"{path}.file", f"file not found: {rel}")
        out.append(Source(str(sid), file, rel, id_col, fmt, weight, key, sheet, decimal))
    return tuple(out)


def _read_questions(ck: _Checker, raw: list[Any], source_ids: tuple[str, ...]
                    ) -> tuple[Question, ...]:
    out: list[Question] = []
    seen: set[str] = set()
    allowed = keys_at("questions[]")
    for i, body in enumerate(raw):
        path = f"questions[{i}]"
        if not isinstance(body, dict):
            ck.add(path, f"expected a mapping with id, type and wording, got {_describe(body)}")
            continue
        qid = ck.get(body, "id", path, str)
        if qid is not None:
            path = f"questions[{i}] ({qid})"
        ck.unknown_keys(body, allowed, path)
        qtype = ck.get(body, "type", path, str, expected=f"one of: {', '.join(QUESTION_TYPES)}")
        if qid is None or qtype is None:
            continue
        if not _ID_RE.match(qid):
            safe = re.sub(r"[^A-Za-z0-9_]+", "_", qid).strip("_") or "q"
            safe = safe if safe[0].isalpha() else f"q_{safe}"
            ck.add(f"{path}.id", f"a question id must start with a letter and hold only "
                   f"letters, digits and underscores, got {qid!r}; to read a column named "
                   f"so, give the question an id and map the column: "
                   f"{{id: {safe}, column: {qid!r}, ...}}")
        if qid in seen:
            ck.add(f"{path}.id", f"duplicate question id {qid!r}")
        seen.add(qid)
        if qtype not in QUESTION_TYPES:
            ck.add(f"{path}.type", f"unknown type {qtype!r} (expected one of: "
                   f"{', '.join(QUESTION_TYPES)})")
            continue
        wording = ck.get(body, "wording", path, str, required=qtype not in ("id",), default=qid)
        short = ck.get(body, "short", path, str, required=False, default=wording)
        src_raw = body.get("source", source_ids[:1])
        srcs = (src_raw,) if isinstance(src_raw, str) else tuple(src_raw or ())
        for s in srcs:
            if s not in source_ids:
                ck.add(f"{path}.source", f"unknown source {s!r} (expected one of: "
                       f"{', '.join(source_ids)})")
        codes = _read_codes(ck, body.get("codes"), f"{path}.codes", False)
        codes += _read_codes(ck, body.get("missing"), f"{path}.missing", True)
        values = [c.value for c in codes]
        counts: dict[str, int] = {}
        for v in values:
            counts[v] = counts.get(v, 0) + 1
        dupes = sorted(v for v, k in counts.items() if k > 1)
        if dupes:
            ck.add(f"{path}.codes", f"duplicate code(s): {', '.join(dupes)}")
        if qtype in ("single", "multi", "likert") and not [c for c in codes if not c.missing]:
            ck.add(f"{path}.codes", f"a {qtype} question needs at least one code")
        if qtype == "likert":
            bad = [c.value for c in codes if not re.fullmatch(r"-?\d+", c.value)]
            if bad:
                ck.add(f"{path}.codes", "Likert codes must be whole numbers, in scale order; "
                       f"got {', '.join(repr(b) for b in bad)}")
        separator = ck.get(body, "separator", path, str, required=False,
                           default=";" if qtype == "multi" else None)
        lo = ck.get(body, "min", path, (int, float), required=False)
        hi = ck.get(body, "max", path, (int, float), required=False)
        scale = ck.get(body, "scale", path, str, required=False)
        if scale is not None and scale != "nps":
            ck.add(f"{path}.scale", f"unknown scale {scale!r} (expected: nps)")
        if scale == "nps" and (qtype != "number" or lo != 0 or hi != 10):
            ck.add(f"{path}.scale", "an nps item must be a number question with min 0 and max 10")
        references = ck.get(body, "references", path, str, required=False)
        if references is not None and references not in source_ids:
            ck.add(f"{path}.references", f"unknown source {references!r} (expected one of: "
                   f"{', '.join(source_ids)})")
        elif references is not None and qtype != "id":
            ck.add(f"{path}.references", "only an id question can reference another source")
        column = ck.get(body, "column", path, str, required=False)
        opt_raw = ck.get(body, "columns", path, dict, required=False, default={})
        option_columns = tuple((_code_text(k), str(v)) for k, v in opt_raw.items())
        if option_columns and qtype != "multi":
            ck.add(f"{path}.columns", "one column per option is for multi questions")
        for code, _ in option_columns:
            if code not in values:
                ck.add(f"{path}.columns.{code}", f"not a code of {qid!r}")
        if option_columns and column:
            ck.add(f"{path}.column", "a multi question read from one column per option has "
                   "no column of its own")
        measure = ck.get(body, "measure", path, str, required=False, default="mean")
        if measure not in ("mean", "total"):
            ck.add(f"{path}.measure", f"unknown measure {measure!r} (expected one of: mean, "
                   "total)")
        elif "measure" in body and qtype != "number":
            ck.add(f"{path}.measure", f"a measure is for number questions; {qid!r} is "
                   f"{qtype} (an indicator on it can declare measure: total)")
        probs = _read_probs(ck, body, path, qtype)
        report = ck.get(body, "report", path, bool, required=False, default=True)
        out.append(Question(qid, qtype, wording, short, srcs, tuple(codes), separator,
                            lo, hi, scale, references, column, option_columns, measure, probs,
                            report))
    return tuple(out)


def _read_probs(ck: _Checker, body: dict[str, Any], path: str, qtype: str
                ) -> tuple[float, ...]:
    """``quantiles: [0.25, 0.5, 0.75]`` on a number question: the probabilities published."""
    raw = body.get("quantiles", [0.25, 0.5, 0.75])
    if "quantiles" in body and qtype != "number":
        ck.add(f"{path}.quantiles", "quantiles are for number questions")
    if not isinstance(raw, list) or not raw or any(
            isinstance(p, bool) or not isinstance(p, int | float) or not 0 < p < 1 for p in raw):
        ck.add(f"{path}.quantiles", f"expected a list of probabilities between 0 and 1, e.g. "
               f"[0.25, 0.5, 0.75], got {raw!r}")
        return (0.25, 0.5, 0.75)
    if len(set(raw)) != len(raw):
        ck.add(f"{path}.quantiles", f"each probability once, got {raw!r}")
    return tuple(sorted(float(p) for p in raw))


def _check_source_columns(ck: _Checker, sources: tuple[Source, ...],
                          qmap: dict[str, Question]) -> None:
    for s in sources:
        for col, what in ([(c, "id") for c in s.key_columns] + [(s.weight, "weight")]):
            if col is None:
                continue
            q = qmap.get(col)
            if q is None or s.id not in q.sources:
                ck.add(f"sources.{s.id}.{what}", f"column {col!r} is not a question of this "
                       "source (declare it under questions)")
            elif what == "id" and not s.key and q.type != "id":
                ck.add(f"sources.{s.id}.id", f"question {col!r} must have type id, not {q.type}")
            elif what == "weight" and q.type != "number":
                ck.add(f"sources.{s.id}.weight", f"question {col!r} must have type number, "
                       f"not {q.type}")


def _code_list(ck: _Checker, raw: Any, path: str, q: Question) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        ck.add(path, f"expected a non-empty list of codes of {q.id!r}")
        return ()
    valid = [c.value for c in q.valid_codes]
    # A code may be named by its label: numerator: ["Strongly agree", "Agree"].
    by_label = {c.label: c.value for c in q.valid_codes if c.label not in valid}
    values = [by_label.get(v, v) for v in (_code_text(v) for v in raw)]
    for v in values:
        if v not in valid:
            labels = "; or their labels" if by_label else ""
            ck.add(path, f"code {v!r} is not a valid answer of {q.id!r} "
                   f"(expected one of: {', '.join(valid)}{labels})")
    return tuple(values)


def _read_indicators(ck: _Checker, raw: dict[str, Any], qmap: dict[str, Question],
                     sources: tuple[Source, ...]) -> tuple[Indicator, ...]:
    out = []
    survey = sources[0].id if sources else None
    if not raw:
        ck.add("indicators", "expected at least one indicator")
    for iid, body in raw.items():
        path = f"indicators.{iid}"
        if not ck.entry(path, iid, body, "indicator", keys_at("indicators.*")):
            continue
        label = ck.get(body, "label", path, str)
        statement = ck.get(body, "statement", path, str, required=False, default=None)
        qid = ck.get(body, "question", path, str)
        if qid is None:
            continue
        q = qmap.get(qid)
        if q is None:
            ck.add(f"{path}.question", f"unknown question {qid!r} (expected one of: "
                   f"{', '.join(sorted(qmap))})")
            continue
        if q.type not in ("single", "likert"):
            ck.add(f"{path}.question", f"question {qid!r} is {q.type}; an indicator needs a "
                   "single or likert question")
            continue
        if survey is not None and survey not in q.sources:
            ck.add(f"{path}.question", f"question {qid!r} is not in the survey source {survey!r}")
        numerator = _code_list(ck, body.get("numerator"), f"{path}.numerator", q)
        if "base" in body:
            base = _code_list(ck, body.get("base"), f"{path}.base", q)
        else:
            base = tuple(c.value for c in q.valid_codes)
        for v in numerator:
            if base and v not in base:
                ck.add(f"{path}.numerator", f"code {v!r} is in the numerator but not the base")
        measure = ck.get(body, "measure", path, str, required=False, default="proportion")
        if measure not in ("proportion", "total"):
            ck.add(f"{path}.measure", f"unknown measure {measure!r} (expected one of: "
                   "proportion, total)")
        out.append(Indicator(str(iid), label or str(iid), statement or (label or "").lower(),
                             qid, numerator, base, measure))
    return tuple(out)


def label_from_id(ident: object) -> str:
    """A default label made from an id: "role_group" -> "Role group"."""
    text = re.sub(r"[_\-]+", " ", str(ident)).strip()
    return text[:1].upper() + text[1:] if text else str(ident)


def _read_breakdowns(ck: _Checker, raw: dict[str, Any], qmap: dict[str, Question]
                     ) -> tuple[Breakdown, ...]:
    out = []
    for bid, body in raw.items():
        path = f"breakdowns.{bid}"
        if not ck.entry(path, bid, body, "breakdown", keys_at("breakdowns.*")):
            continue
        label = ck.get(body, "label", path, str, required=False, default=label_from_id(bid))
        qid = ck.get(body, "question", path, str)
        q = qmap.get(qid) if qid else None
        if qid is not None and q is None:
            ck.add(f"{path}.question", f"unknown question {qid!r}")
        if q is None:
            continue
        if q.type not in ("single", "likert"):
            ck.add(f"{path}.question", f"question {qid!r} is {q.type}; a breakdown needs a "
                   "single or likert question")
            continue
        graw = ck.get(body, "groups", path, dict, required=False)
        valid = [c.value for c in q.valid_codes]
        if graw is None:
            groups = tuple(Group(c.label, (c.value,)) for c in q.valid_codes)
        else:
            groups_l = []
            used: dict[str, str] = {}
            for glabel, codes in graw.items():
                gpath = f"{path}.groups.{glabel}"
                codes_t = _code_list(ck, codes, gpath, q)
                for c in codes_t:
                    if c in used:
                        ck.add(gpath, f"code {c!r} is already in group {used[c]!r}")
                    used[c] = str(glabel)
                groups_l.append(Group(str(glabel), codes_t))
            unmapped = [v for v in valid if v not in used]
            if unmapped:
                ck.add(f"{path}.groups", "every answer code must be in a group; not mapped: "
                       f"{', '.join(unmapped)}")
            groups = tuple(groups_l)
        compare = body.get("compare")
        cmp_t = None
        if compare is not None:
            labels = [g.label for g in groups]
            if (not isinstance(compare, list) or len(compare) != 2
                    or any(c not in labels for c in compare) or compare[0] == compare[1]):
                ck.add(f"{path}.compare", "expected two different group labels "
                       f"(from: {', '.join(labels)}), got {compare!r}")
            else:
                cmp_t = (str(compare[0]), str(compare[1]))
        for g in groups:
            if g.label in RESERVED_LABELS:
                ck.add(f"{path}.groups", f"a group may not be called {g.label!r}: the report "
                       "uses that label for the total or the unanswered; rename the group")
        clash = _slug_clashes([g.label for g in groups])
        if clash:
            ck.add(f"{path}.groups", f"groups {clash[0]!r} and {clash[1]!r} would share a page "
                   "anchor and file name; make them differ in more than punctuation or case")
        wave = body.get("wave")
        if wave is True:
            wave = "latest"
        if wave not in (None, False, "latest", "pooled"):
            ck.add(f"{path}.wave", f"expected true (the latest wave leads) or pooled (all "
                   f"waves together lead), got {wave!r}")
            wave = None
        out.append(Breakdown(str(bid), label, q.id, groups, cmp_t, wave or None))
    waves = [b.id for b in out if b.wave]
    if len(waves) > 1:
        ck.add("breakdowns", f"only one breakdown can be the waves; found {', '.join(waves)}")
    compares = [b.id for b in out if b.compare]
    if len(compares) > 1:
        ck.add("breakdowns", f"only one breakdown can declare compare; found {', '.join(compares)}")
    return tuple(out)


def _read_disclosure(ck: _Checker, raw: dict[str, Any]) -> Disclosure:
    ck.unknown_keys(raw, keys_at("disclosure"), "disclosure")
    sup = ck.get(raw, "suppress_below", "disclosure", int, required=False, default=10)
    flag = ck.get(raw, "flag_below", "disclosure", int, required=False, default=30)
    prot = ck.get(raw, "protection", "disclosure", (int, float), required=False, default=0.5)
    if isinstance(prot, bool) or not isinstance(prot, int | float) or not 0 < prot <= 1:
        ck.add("disclosure.protection", f"expected a share above 0 and at most 1 (0.5 is ±50% "
               f"of the true value), got {prot!r}")
        prot = 0.5
    if sup < 1:
        ck.add("disclosure.suppress_below", f"expected a base of at least 1, got {sup}")
    if flag < sup:
        ck.add("disclosure.flag_below", f"expected at least suppress_below ({sup}), got {flag}")
    return Disclosure(sup, flag, float(prot))


def _read_precision(ck: _Checker, raw: dict[str, Any]) -> Precision:
    path = "precision"
    ck.unknown_keys(raw, keys_at(path), path)
    out = []
    for key, default in (("cv_caution", 0.2), ("cv_unreliable", 0.3)):
        v = ck.get(raw, key, path, (int, float), required=False, default=default)
        if isinstance(v, bool) or not isinstance(v, int | float) or v <= 0:
            ck.add(f"{path}.{key}", f"expected a coefficient of variation above 0, e.g. "
                   f"{default}, got {v!r}")
            v = default
        out.append(float(v))
    if out[1] < out[0]:
        ck.add(f"{path}.cv_unreliable", f"expected at least cv_caution ({out[0]:g}), got "
               f"{out[1]:g}")
    return Precision(*out)


def _read_interviews(ck: _Checker, raw: dict[str, Any] | None, qmap: dict[str, Question],
                     bmap: dict[str, Breakdown], source_ids: tuple[str, ...]
                     ) -> Interviews | None:
    if raw is None:
        return None
    path = "interviews"
    ck.unknown_keys(raw, keys_at(path), path)
    sid = ck.get(raw, "source", path, str)
    if sid is not None and sid not in source_ids:
        ck.add(f"{path}.source", f"unknown source {sid!r} (expected one of: "
               f"{', '.join(source_ids)})")
        return None

    def col(key: str, types: tuple[str, ...], required: bool = True) -> str | None:
        qid = ck.get(raw, key, path, str, required=required)
        if qid is None:
            return None
        q = qmap.get(qid)
        if q is None or sid not in q.sources:
            ck.add(f"{path}.{key}", f"{qid!r} is not a question of source {sid!r}")
        elif q.type not in types:
            ck.add(f"{path}.{key}", f"question {qid!r} must be {' or '.join(types)}, not {q.type}")
        return qid

    themes = col("themes", ("multi",))
    quote = col("quote", ("text",), required=False)
    org = col("organisation", ("id", "single", "text"))
    by = ck.get(raw, "by", path, str)
    attribution = tuple(ck.get(raw, "attribution", path, list, required=False, default=[]))
    for i, b in enumerate((by, *attribution)):
        if b is None:
            continue
        key = f"{path}.by" if i == 0 else f"{path}.attribution[{i - 1}]"
        bd = bmap.get(b)
        if bd is None:
            ck.add(key, f"unknown breakdown {b!r} (expected one of: {', '.join(bmap)})")
        elif sid not in qmap[bd.question].sources:
            ck.add(key, f"breakdown {b!r} uses question {bd.question!r}, which is not in "
                   f"source {sid!r}")
    if sid is None or themes is None or org is None or by is None:
        return None
    return Interviews(sid, themes, org, by, quote, tuple(str(a) for a in attribution))


def _read_publish(ck: _Checker, raw: dict[str, Any]) -> tuple[str, ...]:
    ck.unknown_keys(raw, keys_at("publish"), "publish")
    keep = ck.get(raw, "keep", "publish", list, required=False, default=[])
    out = []
    for i, name in enumerate(keep):
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*"
                                                         r"(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*",
                                                         name):
            ck.add(f"publish.keep[{i}]", f"expected a file name inside the site such as CNAME "
                   f"(no absolute path, no ..), got {name!r}")
            continue
        if name.startswith(("data/", "assets/")) or name.endswith(".html") or name in (
                "ledger.json", "baselines.json", "baselines.csv", "report.pdf"):
            ck.add(f"publish.keep[{i}]", f"{name!r} is where the build writes its own files "
                   "(pages, downloads, assets); keep only files of your own, such as CNAME")
            continue
        out.append(name)
    return tuple(out)


RESERVED_LABELS = ("All", "All sectors", "Not stated")


def _slug_clashes(names: list[str]) -> tuple[str, str] | None:
    from .words import slug

    seen: dict[str, str] = {}
    for n in names:
        k = slug(n)
        if k in seen and seen[k] != n:
            return seen[k], n
        seen.setdefault(k, n)
    return None


GENERATED_PAGES = ("gaps", "agreement", "crosstabs", "interviews", "methodology", "data",
                   "national", "change", "relationship", "print", "report", "baselines",
                   "ledger", "robots")
GENERATED_PREFIXES = ("indicator-", "question-", "breakdown-", "sector-")


def _read_pages(ck: _Checker, root: Path, raw: list[Any]) -> tuple[Page, ...]:
    out = []
    for i, body in enumerate(raw):
        path = f"pages[{i}]"
        if not isinstance(body, dict):
            ck.add(path, f"expected a mapping with id, title and file, got {_describe(body)}")
            continue
        ck.unknown_keys(body, keys_at("pages[]"), path)
        pid = ck.get(body, "id", path, str)
        title = ck.get(body, "title", path, str)
        rel = ck.get(body, "file", path, str)
        if pid is None or title is None or rel is None:
            continue
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", pid):
            ck.add(f"{path}.id", "a page id must be lower-case letters, digits and hyphens")
        elif pid in GENERATED_PAGES or pid.startswith(GENERATED_PREFIXES):
            ck.add(f"{path}.id", f"{pid!r} is the name of a page the build makes; choose "
                   "another id (index replaces the headline page on purpose)")
        file = (root / rel).resolve()
        if not file.is_relative_to(root.resolve()):
            ck.add(f"{path}.file", f"must be inside the study folder, got {rel!r}")
        elif not file.is_file():
            ck.add(f"{path}.file", f"file not found: {rel}")
        out.append(Page(pid, title, file))
    return tuple(out)


def _read_benchmark(ck: _Checker, raw: dict[str, Any] | None, qmap: dict[str, Question],
                    sources: tuple[Source, ...], indicators=()) -> Benchmark | None:
    if raw is None or not sources:
        return None
    path = "benchmark"
    ck.unknown_keys(raw, keys_at(path), path)
    sids = [s.id for s in sources]
    survey = sources[0].id
    orgs = ck.get(raw, "organisations", path, str, expected="the source of organisations")
    if orgs is not None and orgs not in sids:
        ck.add(f"{path}.organisations", f"unknown source {orgs!r} (expected one of: "
               f"{', '.join(sids)})")
        return None

    def q(key: str, source: str | None, types: tuple[str, ...], required: bool = True
          ) -> str | None:
        qid = ck.get(raw, key, path, str, required=required)
        if qid is None or source is None:
            return qid
        question = qmap.get(qid)
        if question is None or source not in question.sources:
            ck.add(f"{path}.{key}", f"{qid!r} is not a question of source {source!r}")
        elif question.type not in types:
            ck.add(f"{path}.{key}", f"question {qid!r} must be {' or '.join(types)}, not "
                   f"{question.type}")
        return qid

    org = q("organisation", survey, ("id",))
    if org is not None and orgs is not None and (
            org not in qmap or (orgs not in qmap[org].sources and qmap[org].references != orgs)):
        ck.add(f"{path}.organisation", f"{org!r} must be the id of source {orgs!r} too")
    name = q("name", orgs, ("text", "id"))
    sector = q("sector", orgs, ("single",))
    wave = q("wave", survey, ("single",))
    items = ck.get(raw, "items", path, list, expected="a list of number questions")
    scales = set()
    for i, item in enumerate(items or []):
        question = qmap.get(str(item))
        if question is None or survey not in question.sources or question.type != "number":
            ck.add(f"{path}.items[{i}]", f"{item!r} is not a number question of the survey")
        elif question.min is None or question.max is None:
            ck.add(f"{path}.items[{i}]", f"question {item!r} needs min and max (its scale)")
        else:
            scales.add((float(question.min), float(question.max)))
    if len(scales) > 1:
        ck.add(f"{path}.items", "every item must share one scale (the same min and max)")
    nps_q = q("nps", survey, ("number",), required=False)
    if nps_q is not None and nps_q in qmap and qmap[nps_q].scale != "nps":
        ck.add(f"{path}.nps", f"question {nps_q!r} must have scale: nps")
    metrics_raw = ck.get(raw, "metrics", path, dict, required=False, default={})
    ck.unknown_keys(metrics_raw, keys_at(f"{path}.metrics"), f"{path}.metrics")
    msrc = ck.get(metrics_raw, "source", f"{path}.metrics", str, required=bool(metrics_raw))
    metrics = tuple(ck.get(metrics_raw, "items", f"{path}.metrics", list,
                           required=bool(metrics_raw), default=[]))
    if msrc is not None:
        if msrc not in sids:
            ck.add(f"{path}.metrics.source", f"unknown source {msrc!r}")
        else:
            for key in (org, wave):
                if key in qmap and msrc not in qmap[key].sources:
                    ck.add(f"{path}.metrics.source", f"source {msrc!r} needs the column {key!r}")
            for i, m in enumerate(metrics):
                question = qmap.get(str(m))
                if question is None or msrc not in question.sources or question.type != "number":
                    ck.add(f"{path}.metrics.items[{i}]", f"{m!r} is not a number question of "
                           f"source {msrc!r}")
    publish = ck.get(raw, "publish_organisation_scores", path, bool, required=False,
                     default=False)
    min_orgs = ck.get(raw, "min_organisations", path, int, required=False, default=5)
    max_share = ck.get(raw, "max_share", path, (int, float), required=False, default=0.25)
    if not 0 < max_share <= 1:
        ck.add(f"{path}.max_share", f"expected a share between 0 and 1, got {max_share!r}")
    if min_orgs < 1:
        ck.add(f"{path}.min_organisations", f"expected at least 1, got {min_orgs}")
    threshold = ck.get(raw, "change_threshold", path, (int, float), required=False, default=1.0)
    headline = ck.get(raw, "headline_change", path, list, required=False)
    wave_codes = [c.value for c in qmap[wave].valid_codes] if wave in qmap else []
    if headline is not None:
        if len(headline) != 2 or any(str(w) not in wave_codes for w in headline):
            ck.add(f"{path}.headline_change", f"expected two waves from: {', '.join(wave_codes)}")
            headline = None
    rates = ck.get(raw, "rates", path, list, required=False, default=[])
    known = {i.id: i for i in indicators}
    for i, rid in enumerate(rates or []):
        ind = known.get(str(rid))
        if ind is None:
            ck.add(f"{path}.rates[{i}]", f"unknown indicator {rid!r} (expected one of: "
                   f"{', '.join(known) or 'none declared'})")
        elif ind.question in qmap and survey not in qmap[ind.question].sources:
            ck.add(f"{path}.rates[{i}]", f"indicator {rid!r} is not on a question of the "
                   f"survey source {survey!r}")
    if None in (orgs, org, name, sector, wave) or not items:
        return None
    lo, hi = next(iter(scales)) if scales else (0.0, 100.0)
    return Benchmark(orgs, org, name, sector, wave, tuple(str(i) for i in items), (lo, hi),
                     nps_q, msrc, tuple(str(m) for m in metrics), publish, min_orgs,
                     float(max_share), float(threshold),
                     (str(headline[0]), str(headline[1])) if headline else None,
                     tuple(str(r) for r in rates or ()))


def _survey_column(ck: _Checker, path: str, qid: Any, qmap: dict[str, Question], survey: str,
                   types: tuple[str, ...]) -> str | None:
    if not isinstance(qid, str):
        ck.add(path, f"expected a question id, got {_describe(qid)}")
        return None
    q = qmap.get(qid)
    if q is None or survey not in q.sources:
        ck.add(path, f"{qid!r} is not a question of the survey source {survey!r}")
        return None
    if q.type not in types:
        ck.add(path, f"question {qid!r} must be {' or '.join(types)}, not {q.type}")
        return None
    return qid


def _read_design(ck: _Checker, raw: dict[str, Any] | None, qmap: dict[str, Question],
                 sources: tuple[Source, ...]) -> DesignSpec | None:
    if raw is None or not sources:
        return None
    path, survey = "design", sources[0].id
    ck.unknown_keys(raw, keys_at(path), path)
    nest = ck.get(raw, "nest", path, bool, required=False, default=True)
    ids = ("id", "single", "likert", "number", "text")
    weight = (_survey_column(ck, f"{path}.weight", raw["weight"], qmap, survey, ("number",))
              if raw.get("weight") is not None else None)
    strata = (_survey_column(ck, f"{path}.strata", raw["strata"], qmap, survey, ids)
              if raw.get("strata") is not None else None)

    def stages(key: str, types: tuple[str, ...]) -> tuple[str, ...]:
        value = raw.get(key)
        if value is None:
            return ()
        items = value if isinstance(value, list) else [value]
        return tuple(c for i, v in enumerate(items)
                     if (c := _survey_column(ck, f"{path}.{key}[{i}]", v, qmap, survey, types)))

    clusters = stages("cluster", ids)
    fpc = stages("fpc", ("number",))
    if len(clusters) > 2:
        ck.add(f"{path}.cluster", "at most two stages are supported")
    if len(fpc) > max(1, len(clusters)):
        ck.add(f"{path}.fpc", "expected at most one fpc column per stage")
    lonely = ck.get(raw, "lonely_psu", path, str, required=False, default="fail")
    if lonely not in LONELY_PSU:
        ck.add(f"{path}.lonely_psu", f"unknown option {lonely!r} (expected one of: "
               f"{', '.join(LONELY_PSU)})")
    replicate = _read_replicate(ck, raw.get("replicate"), qmap, survey)
    if replicate is not None and (clusters or strata or fpc):
        ck.add(f"{path}.replicate", "replicate weights replace strata, clusters and fpc: "
               "declare one or the other")
    if replicate is not None and weight is None:
        ck.add(f"{path}.weight", "replicate weights need the full-sample weight too")
    return DesignSpec(weight, strata, clusters, fpc, lonely, replicate, nest)


def _read_replicate(ck: _Checker, raw: Any, qmap: dict[str, Question], survey: str
                    ) -> ReplicateSpec | None:
    if raw is None:
        return None
    path = "design.replicate"
    if not isinstance(raw, dict):
        ck.add(path, f"expected a mapping with type and weights, got {_describe(raw)}")
        return None
    ck.unknown_keys(raw, keys_at(path), path)
    rtype = ck.get(raw, "type", path, str, expected="JK1, JKn or BRR")
    if rtype is not None and rtype.upper() not in ("JK1", "JKN", "BRR"):
        ck.add(f"{path}.type", f"unknown type {rtype!r} (expected one of: JK1, JKn, BRR)")
    weights_raw = raw.get("weights")
    numbers = [q.id for q in qmap.values() if survey in q.sources and q.type == "number"]
    if isinstance(weights_raw, str) and weights_raw.endswith("*"):
        prefix = weights_raw[:-1]
        cols = sorted((c for c in numbers if c.startswith(prefix) and c[len(prefix):].isdigit()),
                      key=lambda c: int(c[len(prefix):]))
    elif isinstance(weights_raw, list):
        cols = [str(c) for c in weights_raw]
    else:
        # The other keys are still checked, so every problem is reported at once.
        ck.add(f"{path}.weights", "expected a list of columns or a prefix such as 'rw*'")
        cols = None
    for c in cols or ():
        if c not in numbers:
            ck.add(f"{path}.weights", f"{c!r} is not a number question of the survey")
    if cols is not None and len(cols) < 2:
        ck.add(f"{path}.weights", "expected at least two replicate weight columns")
    rscales = raw.get("rscales") or []
    if not isinstance(rscales, list) or any(not isinstance(x, (int, float)) for x in rscales):
        ck.add(f"{path}.rscales", "expected a list of numbers, one per replicate")
        rscales = []
    if rtype and rtype.upper() == "JKN" and not rscales:
        ck.add(f"{path}.rscales", "JKn needs rscales: (n_h - 1) / n_h for each replicate")
    scale = ck.get(raw, "scale", path, (int, float), required=False)
    mse = ck.get(raw, "mse", path, bool, required=False, default=False)
    df = ck.get(raw, "df", path, int, required=False)
    if cols is None:
        return None
    return ReplicateSpec(rtype or "JK1", tuple(cols), scale, tuple(float(x) for x in rscales),
                         mse, df)


def _read_rake(ck: _Checker, raw: dict[str, Any] | None, qmap: dict[str, Question],
               sources: tuple[Source, ...]) -> RakeSpec | None:
    if raw is None or not sources:
        return None
    path, survey = "rake", sources[0].id
    ck.unknown_keys(raw, keys_at(path), path)
    variance = ck.get(raw, "variance", path, str, required=False, default="calibrated")
    if variance not in ("calibrated", "fixed"):
        ck.add(f"{path}.variance", f"unknown variance {variance!r} (expected one of: "
               "calibrated, fixed)")
    margins_raw = ck.get(raw, "margins", path, dict, expected="a mapping of question: "
                         "{code: population total}") or {}
    margins = []
    totals = {}
    for qid, figures in margins_raw.items():
        mpath = f"{path}.margins.{qid}"
        q = _survey_column(ck, mpath, qid, qmap, survey, ("single",))
        if q is None:
            continue
        if not isinstance(figures, dict):
            ck.add(mpath, f"expected a mapping of code: population total, got "
                   f"{_describe(figures)}")
            continue
        valid = [c.value for c in qmap[q].valid_codes]
        pairs = []
        for code, total in figures.items():
            code_s = _code_text(code)
            if code_s not in valid:
                ck.add(f"{mpath}.{code_s}", f"not a valid answer of {q!r} (expected one of: "
                       f"{', '.join(valid)})")
            elif isinstance(total, bool) or not isinstance(total, (int, float)) or total <= 0:
                ck.add(f"{mpath}.{code_s}", f"expected a positive population figure, got "
                       f"{total!r}")
            else:
                pairs.append((code_s, float(total)))
        missing = [v for v in valid if v not in {c for c, _ in pairs}]
        if missing:
            ck.add(mpath, f"no population figure for: {', '.join(missing)}")
        totals[q] = sum(t for _, t in pairs)
        margins.append((q, tuple(pairs)))
    if len(set(round(t, 6) for t in totals.values())) > 1:
        ck.add(f"{path}.margins", "the margins must add up to the same population total; got "
               + ", ".join(f"{q} {t:g}" for q, t in totals.items()))
    # R's names and defaults (epsilon 1: no cell total moves by a whole unit; below 1, a
    # fraction of the total weight; at most 10 passes). tolerance and max_iterations are the
    # names of earlier releases.
    for new, old in (("epsilon", "tolerance"), ("maxit", "max_iterations")):
        if new in raw and old in raw:
            ck.add(f"{path}.{old}", f"give {new} or {old} (its earlier name), not both")
    tol = ck.get(raw, "epsilon" if "epsilon" in raw else "tolerance", path, (int, float),
                 required=False, default=1.0)
    maxit = ck.get(raw, "maxit" if "maxit" in raw else "max_iterations", path, int,
                   required=False, default=10)
    if isinstance(tol, (int, float)) and not isinstance(tol, bool) and tol <= 0:
        ck.add(f"{path}.epsilon", f"expected a positive number, got {tol!r}")
    if isinstance(maxit, int) and maxit < 1:
        ck.add(f"{path}.maxit", f"expected at least 1, got {maxit!r}")
    trim_raw = ck.get(raw, "trim", path, dict, required=False)
    trim = None
    if trim_raw is not None:
        ck.unknown_keys(trim_raw, keys_at(f"{path}.trim"), f"{path}.trim")
        lo = ck.get(trim_raw, "lower", f"{path}.trim", (int, float), required=False,
                    default=float("-inf"))
        hi = ck.get(trim_raw, "upper", f"{path}.trim", (int, float), required=False,
                    default=float("inf"))
        if lo >= hi:
            ck.add(f"{path}.trim", f"expected lower below upper, got {lo} and {hi}")
        trim = (float(lo), float(hi))
    if not margins:
        return None
    return RakeSpec(tuple(margins), float(tol), maxit, trim, variance)


def _read_crossed(ck: _Checker, raw: list[Any], qmap: dict[str, Question],
                  sources: tuple[Source, ...], breakdowns: tuple[Breakdown, ...],
                  design) -> tuple[tuple[str, str], ...]:
    """``crossed: [[role_group, wave], ...]``: each indicator by two breakdowns at once (the
    first within each group of the second)."""
    out: list[tuple[str, str]] = []
    if not raw:
        return ()
    known = {b.id: b for b in breakdowns}
    survey = sources[0].id if sources else ""
    for i, pair in enumerate(raw):
        path = f"crossed[{i}]"
        if not isinstance(pair, list) or len(pair) != 2 or not all(
                isinstance(x, str) for x in pair) or pair[0] == pair[1]:
            ck.add(path, f"expected two different breakdown ids, e.g. [role_group, wave], got "
                   f"{pair!r}")
            continue
        bad = [x for x in pair if x not in known]
        if bad:
            ck.add(path, f"unknown breakdown {bad[0]!r} (expected one of: "
                   f"{', '.join(known) or 'none declared'})")
            continue
        off = [x for x in pair if known[x].question in qmap
               and survey not in qmap[known[x].question].sources]
        if off:
            ck.add(path, f"breakdown {off[0]!r} is not on a question of the survey source "
                   f"{survey!r}")
            continue
        if (pair[0], pair[1]) in out or (pair[1], pair[0]) in out:
            ck.add(path, f"{pair[0]} and {pair[1]} are crossed twice")
            continue
        out.append((pair[0], pair[1]))
    if out and design is not None:
        ck.add("crossed", "crossed breakdowns are not available with a declared design yet: "
               "their cells would not carry design-based intervals; remove crossed or design")
    return tuple(out)


def _read_crosstabs(ck: _Checker, raw: list[Any], qmap: dict[str, Question],
                    sources: tuple[Source, ...], breakdowns: tuple[Breakdown, ...]
                    ) -> tuple[Crosstab, ...]:
    out = []
    bids = [b.id for b in breakdowns]
    for i, body in enumerate(raw):
        path = f"crosstabs[{i}]"
        if not isinstance(body, dict):
            ck.add(path, f"expected a mapping with rows and columns, got {_describe(body)}")
            continue
        ck.unknown_keys(body, keys_at("crosstabs[]"), path)
        rows = ck.get(body, "rows", path, str, expected="a single or likert question")
        cols = ck.get(body, "columns", path, str, expected="a breakdown id")
        if rows is not None and sources:
            rows = _survey_column(ck, f"{path}.rows", rows, qmap, sources[0].id,
                                  ("single", "likert"))
        if cols is not None and cols not in bids:
            ck.add(f"{path}.columns", f"unknown breakdown {cols!r} (expected one of: "
                   f"{', '.join(bids)})")
            cols = None
        if rows and cols:
            out.append(Crosstab(rows, cols))
    return tuple(out)
