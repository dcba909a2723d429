"""The study.yaml format, declared once.

Every key of study.yaml is a :class:`Key` in one tree, :data:`FORMAT`: its kind, whether it is
required, its default, what it means, an example and a wrong value. Everything else about the
format comes from this tree:

- validation (spec.py, trackspec.py) takes the keys each mapping accepts from it, so a key
  cannot be read without being declared here (an undeclared one is refused as unknown);
- ``rocsreport schema`` prints the JSON Schema made from it (studydoc.json_schema), which
  editors use to check and complete study.yaml as it is typed;
- docs/study-yaml.md is generated from it (studydoc.reference), with the error each wrong
  value gets found by running the validator on it;
- tests check that the kind, requiredness and default each key is read with agree with it.

Validation still checks what a schema cannot: that ids exist, that codes belong to their
question, that numbers make sense together.

>>> keys_at("disclosure")
('suppress_below', 'flag_below', 'protection')
>>> node("questions[3] (measure_roi).codes").kind
'one_of'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .trackspec import METRIC_KEYS, REWARDS

QUESTION_TYPES = ("single", "multi", "likert", "number", "text", "id", "date")
LONELY_PSU = ("fail", "certainty", "remove", "adjust", "average")
ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*$"


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()

KINDS = ("text", "integer", "number", "boolean", "date", "list", "mapping", "entries", "map",
         "one_of")


@dataclass(frozen=True)
class Key:
    """One key of study.yaml (or the shape of a list item or a mapping's values).

    kind: text, integer, number, boolean, date, list (of ``item``), mapping (of ``keys``),
    entries (a mapping of ids to ``item``, such as indicators), map (a mapping of free keys to
    ``item``, such as codes to labels) or one_of (any of ``alts``).
    required: True, False, or the condition in words ("unless type is id").
    """

    name: str
    kind: str
    doc: str = ""
    required: bool | str = False
    default: Any = UNSET
    default_doc: str = ""  # a default described in words (made from another key)
    example: Any = UNSET
    choices: tuple[Any, ...] = ()
    keys: tuple[Key, ...] = ()
    item: Key | None = None
    alts: tuple[Key, ...] = ()
    limits: tuple[tuple[str, Any], ...] = ()  # JSON Schema keywords: minimum, maxItems, ...
    wrong: Any = UNSET  # a wrong value, to show the error it gets
    on: tuple[tuple[str, Any], ...] = ()  # show the error on the list item with these values

    def key(self, name: str) -> Key | None:
        return next((k for k in self.keys if k.name == name), None)


def _t(name: str, doc: str, **kw: Any) -> Key:
    return Key(name, "text", doc, **kw)


def _ids(name: str, doc: str, what: str, **kw: Any) -> Key:
    """A list of ids (question, indicator or breakdown ids)."""
    return Key(name, "list", doc, item=Key("", "text", what), **kw)


_TEXT_OR_LIST = (Key("", "text", "one"), Key("", "list", "several", item=Key("", "text")))
_CODES = (Key("", "list", "the codes, which are their own labels",
              item=Key("", "one_of", alts=(Key("", "text"), Key("", "number")))),
          Key("", "map", "code: label", item=Key("", "text", "the label")))
_MONTHS = (Key("", "list", "the periods", item=Key("", "text", "YYYY-MM")),
           Key("", "mapping", "every month from one to the other", keys=(
               _t("from", "The first month, YYYY-MM.", required=True, example="2024-01",
                  wrong="Jan 2024"),
               _t("to", "The last month, YYYY-MM.", required=True, example="2024-12",
                  wrong=202412))))

SOURCE = Key("", "mapping", "A data file.", keys=(
    _t("file", "The data file, relative to the study folder: CSV (also .tsv, .txt), Parquet, "
       "Excel (.xlsx) or SPSS (.sav).", required=True, example="data/executives.csv",
       wrong="data/executives.pdf"),
    Key("id", "one_of", "The column that identifies a row (a question of type id), or a list "
        "of columns that do together.", required=True, alts=_TEXT_OR_LIST,
        example="respondent_id", wrong={"column": "respondent_id"}),
    _t("weight", "The column of survey weights (a number question). Without it every answer "
       "counts once.", example="weight", wrong="no_such_column"),
    _t("sheet", "Excel: the sheet to read, by name.", default_doc="the first sheet",
       example="Responses", wrong=3),
    _t("decimal", "The decimal mark of number columns in a text file.", default=".",
       choices=(".", ","), example=",", wrong=";"),
    Key("outside_study", "boolean", "Read a file outside the study folder on purpose. A "
        "contributed study cannot otherwise read the machine.", default=False, example=True,
        wrong="yes"),
))

QUESTION = Key("", "mapping", "A question of the codebook: a column of a source.", keys=(
    _t("id", "The question's id: the column name, unless column says otherwise. Letters, "
       "digits and underscores, starting with a letter.", required=True, example="measure_roi",
       limits=(("pattern", ID_PATTERN),), wrong="measure roi"),
    _t("type", "What the column holds.", required=True, choices=QUESTION_TYPES,
       example="single", wrong="yes-no"),
    _t("wording", "The question as it was asked, quoted on its page.",
       required="unless type is id", default_doc="the id",
       example="Does your organisation measure the return on investment from customer "
               "service?", wrong=["a", "list"], on=(("type", "single"),)),
    _t("short", "The question's name in tables, charts and the menu.",
       default_doc="the wording", example="Measures the ROI of service", wrong=42,
       on=(("type", "single"),)),
    Key("source", "one_of", "The source (or sources) the question is a column of.",
        alts=_TEXT_OR_LIST, default_doc="the first source", example="executives",
        wrong="nowhere", on=(("type", "single"),)),
    Key("codes", "one_of", "The answers: a list of codes, or a mapping of code: label. The "
        "data may hold the code or its label; both load as the code. Needed for single, "
        "multi and likert questions; likert codes are whole numbers in scale order.",
        alts=_CODES, example={1: "Strongly disagree", 2: "Disagree", 3: "Neither",
                              4: "Agree", 5: "Strongly agree"},
        wrong="Yes, No", on=(("type", "single"),)),
    Key("missing", "one_of", "Answers that are no answer (\"Prefer not to say\"): kept in "
        "the data, left out of every base.", alts=_CODES,
        example=["Prefer not to say"], wrong=7.5, on=(("type", "single"),)),
    _t("separator", "multi: the character between options in one cell.",
       default_doc="; for a multi question", example="|", wrong=[";"],
       on=(("type", "multi"),)),
    Key("min", "number", "number: the smallest valid value; smaller ones are rejected.",
        example=0, wrong="zero", on=(("type", "number"),)),
    Key("max", "number", "number: the largest valid value; larger ones are rejected.",
        example=10, wrong="ten", on=(("type", "number"),)),
    _t("scale", "number: nps marks a 0-10 recommendation item (needs min 0 and max 10); "
       "its net promoter score is reported.", choices=("nps",), example="nps",
       wrong="stars", on=(("type", "number"),)),
    _t("references", "id: the source whose ids this column holds (an organisation id in "
       "the survey, say).", example="organisations", wrong="nowhere",
       on=(("type", "id"),)),
    _t("column", "The file's column name, when it is not a valid id "
       "({id: sch_wide, column: sch.wide}).", default_doc="the id", example="sch.wide",
       wrong=["sch.wide"]),
    Key("columns", "map", "multi: one column per option, as code: column (the column holds "
        "1, the option, or is blank).", item=Key("", "text", "the column"),
        example={"email": "tools_email", "phone": "tools_phone"}, wrong="tools_*",
        on=(("type", "multi"),)),
    _t("measure", "number: total also publishes the estimated population total (needs "
       "weights).", default="mean", choices=("mean", "total"), example="total",
       wrong="median", on=(("type", "number"),)),
    Key("quantiles", "list", "number: the probabilities whose quantiles are published, "
        "each with its interval.", item=Key("", "number", limits=(
            ("exclusiveMinimum", 0), ("exclusiveMaximum", 1))),
        default=[0.25, 0.5, 0.75], example=[0.1, 0.5, 0.9], wrong=[50],
        on=(("type", "number"),), limits=(("minItems", 1), ("uniqueItems", True))),
    Key("report", "boolean", "false leaves the question out of the report on purpose; the "
        "methodology lists it as not reported.", default=True, example=False, wrong="no",
        on=(("type", "single"),)),
))

INDICATOR = Key("", "mapping", "A proportion the report publishes.", keys=(
    _t("label", "Its name, in tables, charts and the menu.", required=True,
       example="Do not know the return on service", wrong=["Do not know"]),
    _t("statement", "What the share of respondents do, as it reads after \"40% of "
       "organisations\".", default_doc="the label in lower case",
       example="do not know their return on investment from customer service", wrong=40),
    _t("question", "The single or likert question it counts.", required=True,
       example="measure_roi", wrong="no_such_question"),
    Key("numerator", "list", "The codes (or their labels) counted.", required=True,
        item=Key("", "one_of", alts=(Key("", "text"), Key("", "number"))),
        example=["No", "Don't know"], wrong=["Perhaps"], limits=(("minItems", 1),)),
    Key("base", "list", "The codes (or labels) of those asked.", default_doc="every valid "
        "code of the question", item=Key("", "one_of", alts=(Key("", "text"),
                                                               Key("", "number"))),
        example=["Yes", "No", "Don't know"], wrong="everyone", limits=(("minItems", 1),)),
    _t("measure", "total also publishes the estimated number in the population (needs "
       "weights).", default="proportion", choices=("proportion", "total"), example="total",
       wrong="count"),
))

BREAKDOWN = Key("", "mapping", "Every indicator by the groups of a question.", keys=(
    _t("label", "Its name: \"By {label}\".", default_doc="made from the id (role_group: "
       "Role group)", example="Role group", wrong=["Role"]),
    _t("question", "The single or likert question whose answers form the groups.",
       required=True, example="role", wrong="no_such_question"),
    Key("groups", "map", "Answers gathered into groups, as label: [codes]; every answer "
        "code in one group.", default_doc="one group per answer",
        item=Key("", "list", "codes or labels", item=Key("", "one_of", alts=(
            Key("", "text"), Key("", "number")))),
        example={"Leadership": ["CEO", "Managing Director"],
                 "Operational & insight": ["Operations director", "Insight manager"]},
        wrong=["Leadership"]),
    Key("compare", "list", "Two group labels whose gap is tested (the perspective gap).",
        item=Key("", "text"), limits=(("minItems", 2), ("maxItems", 2)),
        example=["Leadership", "Operational & insight"], wrong=["Leadership"]),
    Key("wave", "one_of", "This breakdown is the survey wave: true (the latest wave leads) "
        "or pooled (all waves together lead).", alts=(
            Key("", "boolean"), Key("", "text", choices=("latest", "pooled"))),
        example=True, wrong="newest"),
))

AREA_MEASURE = Key("", "one_of", "An indicator id or a number question id, or {id, better}.",
                   alts=(Key("", "text"), Key("", "mapping", keys=(
                       _t("id", "The indicator or number question.", required=True,
                          example="complained", wrong="no_such_indicator"),
                       _t("better", "Which way is better.", default="higher",
                          choices=("higher", "lower"), example="lower", wrong="up")))))

TRACKER = Key("tracker", "mapping", "The return-on-customer-service programme tracker: 15 "
              "areas, one in focus every few weeks, and the business metrics of the year "
              "before and the programme year. A study with a tracker publishes the tracker's "
              "pages.", keys=(
    _t("wave", "The question placing each answer in a cycle: a date question, or a number "
       "question holding the cycle number.", required=True, example="fielded",
       wrong="no_such_question"),
    Key("schedule", "mapping", "When the cycles fall and which area is in focus in each.",
        keys=(
            Key("start", "date", "The first day of cycle 1 (YYYY-MM-DD); needed when the "
                "wave is a date.", required="when the wave is a date question",
                example="2025-01-06", wrong="6 January"),
            Key("cycle_weeks", "integer", "The length of a cycle in weeks.", default=3,
                example=3, wrong="three", limits=(("minimum", 1),)),
            _ids("focus", "The area in focus in cycle 1, 2, ... in order.", "an area id",
                 default_doc="the areas in their listed order",
                 example=["first_contact", "complaints_raised"], wrong="first_contact"),
        ), example={"start": "2025-01-06", "cycle_weeks": 3}, wrong=[3]),
    Key("rewards", "map", "Relabel the programme's four rewards, as id: label.",
        item=Key("", "text", "the label"), choices=tuple(r for r, _ in REWARDS),
        default_doc="; ".join(f"{r}: {label}" for r, label in REWARDS),
        example={"people": "People"}, wrong={"profit": "Profit"}),
    Key("areas", "entries", "The measurable areas, by id.", required=True, item=Key(
        "", "mapping", "An area.", keys=(
            _t("label", "Its name.", required=True, example="First-contact resolution",
               wrong=["First contact"]),
            _t("reward", "The reward it serves.", required=True,
               choices=tuple(r for r, _ in REWARDS), example="repeat", wrong="profit"),
            Key("measures", "list", "Indicator ids or number question ids; "
                "{id: complained, better: lower} where lower is better.", required=True,
                item=AREA_MEASURE, example=["resolved_first"], wrong="resolved_first"),
        )), wrong=["first_contact"]),
    Key("metrics", "mapping", "The business metrics compared year on year (Belding).", keys=(
        _t("source", "The source of business metrics, one row per period.", required=True,
           example="business", wrong="nowhere"),
        _t("period", "The question holding the period, YYYY-MM.", required=True,
           example="month", wrong=["month"]),
        *(_t(m, f"The number question holding {m.replace('_', ' ')} per period.",
             example=m, wrong=5) for m in METRIC_KEYS),
        Key("before", "one_of", "The periods of the year before the programme.",
            alts=_MONTHS, required=True, example={"from": "2024-01", "to": "2024-12"},
            wrong={"from": "January 2024", "to": "2024-12"}),
        Key("programme", "one_of", "The periods of the programme year.", alts=_MONTHS,
            required=True, example={"from": "2025-01", "to": "2025-12"}, wrong=2025),
    ), wrong="business"),
    _ids("changes", "What else changed in the programme year, in sentences: the report "
         "warns the comparison is not cause and effect.", "a sentence", default=[],
         example=["A new booking system went live in March 2025"], wrong="None"),
), wrong=["areas"])

FORMAT = Key("study.yaml", "mapping", "A study: what it is, where its data is, and what "
             "the report publishes.", keys=(
    _t("title", "The report's title, on every page and the PDF's cover.", required=True,
       example="Beyond Measurement: customer service and business performance", wrong=2014),
    _t("subtitle", "A line under the title.", default="", example="A benchmark report",
       wrong=["a", "b"]),
    _t("publisher", "Who publishes the report.", default="",
       example="Institute of Customer Service", wrong=["ICS"]),
    _t("fieldwork", "When the answers were collected, in words.", default="",
       example="Survey and interviews, 2014", wrong=2014),
    _t("sample", "Who was asked, in words; the methodology page quotes it.", default="",
       example="Over 120 executives at different organisations", wrong=125),
    Key("synthetic", "boolean", "true when the data is made up: every page and the PDF then "
        "say so.", required=True, example=False, wrong="no"),
    _t("unit", "What a respondent stands for, in sentences (\"40% of organisations\").",
       default="respondents", example="organisations", wrong=["organisations"]),
    Key("sources", "entries", "The data files, by source id. The first is the survey: the "
        "one the indicators count.", required=True, item=SOURCE,
        example={"executives": {"file": "data/executives.csv", "id": "respondent_id"}},
        wrong=["data/executives.csv"]),
    Key("questions", "list", "The codebook: every column used, in the order the report "
        "lists them.", required=True, item=QUESTION, wrong={"role": "single"}),
    Key("indicators", "entries", "The proportions the report publishes, by id: the "
        "headline page leads with them.", required=True, item=INDICATOR,
        wrong=["roi_not_measured"]),
    Key("breakdowns", "entries", "The groups every indicator is broken down by, by id.",
        item=BREAKDOWN, default={}, wrong=["role"]),
    Key("disclosure", "mapping", "The disclosure rules, applied before anything is "
        "rendered.", keys=(
            Key("suppress_below", "integer", "A cell with a base below this is withheld "
                "everywhere, and so is any figure it could be worked out from.", default=10,
                example=10, wrong="ten", limits=(("minimum", 1),)),
            Key("flag_below", "integer", "A base below this is flagged as low wherever the "
                "figure appears.", default=30, example=30, wrong=5,
                limits=(("minimum", 1),)),
            Key("protection", "number", "How wide the range around a withheld figure must "
                "stay, as a share of it, in everything published together (0.5: ±50%).",
                default=0.5, example=0.5, wrong=2,
                limits=(("exclusiveMinimum", 0), ("maximum", 1))),
        ), default={}, wrong=[10]),
    Key("load", "mapping", "Limits of loading.", keys=(
        Key("max_reject_rate", "number", "The share of rows that may be rejected before the "
            "load fails (rejected rows are kept and counted either way).", default=0.05,
            example=0.05, wrong=5, limits=(("minimum", 0), ("maximum", 1))),
        Key("max_file_mb", "number", "The largest data file read, in MB.", default=2048,
            example=2048, wrong=0, limits=(("exclusiveMinimum", 0),)),
    ), default={}, wrong="strict"),
    Key("confidence", "number", "The confidence level of every interval.", default=0.95,
        example=0.95, wrong=95, limits=(("minimum", 0.5), ("exclusiveMaximum", 1))),
    Key("precision", "mapping", "When an estimate is flagged by its coefficient of "
        "variation (the NCHS limits by default).", keys=(
            Key("cv_caution", "number", "Above this CV: use with caution.", default=0.2,
                example=0.2, wrong=-1, limits=(("exclusiveMinimum", 0),)),
            Key("cv_unreliable", "number", "Above this CV: unreliable.", default=0.3,
                example=0.3, wrong=0.1, limits=(("exclusiveMinimum", 0),)),
        ), default={}, wrong=0.2),
    Key("interviews", "mapping", "Interviews coded by theme: a themes-by-group table and "
        "quotes.", keys=(
            _t("source", "The source of interviews.", required=True, example="interviews",
               wrong="nowhere"),
            _t("themes", "The multi question holding each interview's themes.",
               required=True, example="themes", wrong="quote"),
            _t("quote", "The text question holding a quote.", example="quote", wrong="themes"),
            _t("organisation", "The question naming the interviewee's organisation.",
               required=True, example="organisation", wrong=["organisation"]),
            _t("by", "The breakdown the themes are shown by.", required=True,
               example="role_group", wrong="no_such_breakdown"),
            _ids("attribution", "Breakdowns named beside a quote.", "a breakdown id",
                 default=[], example=["role_group"], wrong=["no_such_breakdown"]),
        ), wrong="interviews.csv"),
    Key("pages", "list", "Narrative pages written in Markdown.", item=Key(
        "", "mapping", "A page.", keys=(
            _t("id", "The page's file name (id.html): lower-case letters, digits, hyphens; "
               "index replaces the headline page.", required=True, example="findings",
               limits=(("pattern", "^[a-z0-9][a-z0-9-]*$"),), wrong="Findings Page"),
            _t("title", "The page's title.", required=True, example="What we found",
               wrong=["What"]),
            _t("file", "The Markdown file, relative to the study folder.", required=True,
               example="pages/findings.md", wrong="../outside.md"),
        )), default=[], wrong="pages/findings.md"),
    Key("benchmark", "mapping", "Organisations scored against sector baselines over waves "
        "(an index such as the UKCSI).", keys=(
            _t("organisations", "The source with one row per organisation.", required=True,
               example="organisations", wrong="nowhere"),
            _t("organisation", "The survey's id question naming each answer's organisation.",
               required=True, example="org_id", wrong="wave"),
            _t("name", "The organisations' question holding each one's name.",
               required=True, example="name", wrong=["name"]),
            _t("sector", "The organisations' single question holding the sector.",
               required=True, example="sector", wrong="name"),
            _t("wave", "The survey's single question holding the wave.", required=True,
               example="wave", wrong="no_such_question"),
            _ids("items", "Number questions on one scale, averaged into the index score.",
                 "a number question", required=True, example=["ease", "access", "speed"],
                 wrong=["wave"], limits=(("minItems", 1),)),
            _t("nps", "A number question with scale: nps, benchmarked as a net promoter "
               "score.", example="recommend", wrong="wave"),
            Key("metrics", "mapping", "Organisation-level business metrics, related to the "
                "scores.", keys=(
                    _t("source", "The source of metrics.", required=True,
                       example="metrics", wrong="nowhere"),
                    _ids("items", "Its number questions.", "a number question",
                         required=True, example=["repeat_rate"], wrong=["wave"]),
                ), default={}, wrong=["repeat_rate"]),
            Key("publish_organisation_scores", "boolean", "true publishes a league table "
                "and a page per organisation; false publishes sector baselines only.",
                default=False, example=True, wrong="yes"),
            Key("min_organisations", "integer", "A baseline needs at least this many "
                "organisations.", default=5, example=5, wrong=0, limits=(("minimum", 1),)),
            Key("max_share", "number", "No one organisation may carry more than this share "
                "of a baseline's answers.", default=0.25, example=0.25, wrong=1.5,
                limits=(("exclusiveMinimum", 0), ("maximum", 1))),
            Key("change_threshold", "number", "Up: a rise of at least this many points; "
                "down: a fall of more.", default=1.0, example=1.0, wrong="one"),
            Key("headline_change", "list", "The two waves the headline compares.",
                item=Key("", "one_of", alts=(Key("", "text"), Key("", "number"))),
                limits=(("minItems", 2), ("maxItems", 2)), example=["2013", "2014"],
                wrong=["2014"]),
            _ids("rates", "Indicators benchmarked as the share of respondents.",
                 "an indicator id", default=[], example=["complained_share"],
                 wrong=["no_such_indicator"]),
        ), wrong=True),
    Key("design", "mapping", "The sampling design: variances by Taylor linearisation (or "
        "replicate weights), as R's survey package computes them.", keys=(
            _t("weight", "The column of sampling weights.", example="pw",
               wrong="no_such_question"),
            _t("strata", "The column of strata.", example="stype", wrong="no_such_question"),
            Key("cluster", "one_of", "The cluster column, or one per stage (two at most).",
                alts=_TEXT_OR_LIST, example="dnum", wrong=["dnum", "snum", "pupil"]),
            Key("fpc", "one_of", "The population size (or sampling fraction) of each stage.",
                alts=_TEXT_OR_LIST, example="fpc1", wrong=["no_such_question"]),
            _t("lonely_psu", "What a stratum with one cluster does, as R's "
               "survey.lonely.psu option.", default="fail", choices=LONELY_PSU,
               example="adjust", wrong="ignore"),
            Key("replicate", "mapping", "Replicate weights instead of strata and clusters.",
                example={"type": "JK1", "weights": "rw*"}, keys=(
                    _t("type", "JK1, JKn or BRR.", required=True,
                       choices=("JK1", "JKn", "BRR"), example="JK1", wrong="bootstrap"),
                    Key("weights", "one_of", "The replicate weight columns, or a prefix "
                        "such as rw* for rw1, rw2, ...", required=True, alts=(
                            Key("", "list", item=Key("", "text")),
                            Key("", "text", limits=(("pattern", r"\*$"),))),
                        example="rw*", wrong="rw"),
                    Key("scale", "number", "The overall scale of the variance.",
                        example=0.95, wrong="auto"),
                    Key("rscales", "list", "One scale per replicate ((n_h - 1) / n_h for "
                        "JKn).", item=Key("", "number"), example=[0.5, 0.5], wrong="0.5"),
                    Key("mse", "boolean", "Centre on the full-sample estimate, not the "
                        "replicates' mean.", default=False, example=True, wrong="yes"),
                    Key("df", "integer", "The degrees of freedom of intervals.",
                        example=40, wrong=39.5),
                ), wrong=["rw1", "rw2"]),
            Key("nest", "boolean", "Cluster ids are unique only within strata (R's "
                "nest = TRUE).", default=True, example=False, wrong="no"),
        ), wrong="stratified"),
    Key("rake", "mapping", "Weights raked to known population margins (R's rake()).", keys=(
        Key("margins", "map", "question: {code: population total}, for single questions; "
            "every margin adds up to the same population.", required=True,
            item=Key("", "map", "code: population total", item=Key(
                "", "number", limits=(("exclusiveMinimum", 0),))),
            example={"sector": {"Retail": 6000, "Finance": 4000}},
            wrong={"sector": [6000, 4000]}),
        Key("epsilon", "number", "Stop when no cell total moves by this much (below 1: a "
            "share of the total weight).", default=1.0, example=1, wrong=0,
            limits=(("exclusiveMinimum", 0),)),
        Key("maxit", "integer", "At most this many passes.", default=10, example=10,
            wrong=0, limits=(("minimum", 1),)),
        Key("tolerance", "number", "The earlier name of epsilon.", default=1.0,
            example=1, wrong="tight"),
        Key("max_iterations", "integer", "The earlier name of maxit.", default=10,
            example=10, wrong=2.5),
        Key("trim", "mapping", "Bounds on the raked weights.", keys=(
            Key("lower", "number", "The smallest weight.", default=float("-inf"),
                default_doc="none", example=0.3, wrong="low"),
            Key("upper", "number", "The largest weight.", default=float("inf"),
                default_doc="none", example=3, wrong="high"),
        ), example={"lower": 0.3, "upper": 3}, wrong={"lower": 3, "upper": 0.3}),
        _t("variance", "calibrated: R's variance of a raked estimate (svyrecvar); fixed: the "
           "weights taken as given.", default="calibrated", choices=("calibrated", "fixed"),
           example="fixed", wrong="robust"),
    ), wrong=["sector"]),
    Key("crosstabs", "list", "Two-way tables with a Rao-Scott test.", item=Key(
        "", "mapping", "A table.", keys=(
            _t("rows", "A single or likert question of the survey.", required=True,
               example="measure_roi", wrong="no_such_question"),
            _t("columns", "A breakdown id.", required=True, example="role_group",
               wrong="no_such_breakdown"),
        )), default=[], wrong={"rows": "measure_roi"}),
    Key("crossed", "list", "Every indicator by two breakdowns at once: [first, within "
        "each group of the second].", item=Key("", "list", item=Key("", "text"), limits=(
            ("minItems", 2), ("maxItems", 2))), default=[],
        example=[["role_group", "org_size"]], wrong=[["role_group"]]),
    Key("publish", "mapping", "Files of your own the site keeps.", keys=(
        _ids("keep", "Files you add to the built site (CNAME) that rebuilds keep.",
             "a file name inside the site", default=[], example=["CNAME"],
             wrong=["../secrets"]),
    ), default={}, wrong=["CNAME"]),
    Key("charts", "mapping", "How charts are drawn.", keys=(
        Key("interactive", "boolean", "true draws each chart again in the browser, with "
            "tooltips and legends that filter (the static SVG stays).", default=False,
            example=True, wrong="yes"),
    ), default={}, wrong=True),
    Key("publication", "mapping", "The edition: release date, licence, how to cite and the "
        "language. Every key is optional.", keys=(
            Key("release", "date", "The release date, YYYY-MM-DD: in the footer and the "
                "PDF's metadata.", example="2014-07-15", wrong="July 2014"),
            _t("edition", "The edition's name.", default="", example="July 2014",
               wrong=2014),
            Key("earlier", "list", "Earlier editions: a label, or {edition, link}.",
                item=Key("", "one_of", alts=(Key("", "text"), Key("", "mapping", keys=(
                    _t("edition", "The edition's label.", required=True,
                       example="July 2013", wrong=2013),
                    _t("link", "Where it is.", default="", example="../2013/index.html",
                       wrong=["../2013"]))))),
                default=[], example=["January 2014"], wrong=[2013]),
            _t("licence", "An SPDX licence id: on every page's footer, the PDF and "
               "CITATION.cff.", default="", example="CC-BY-4.0",
               wrong="Creative Commons"),
            _t("contact", "Who to ask.", default="", example="research@example.org",
               wrong=["a", "b"]),
            _t("cite", "The citation sentence.", default="", default_doc="publisher (year). "
               "title, edition.", example="ICS (2014). Beyond Measurement.", wrong=2014),
            _t("lang", "The pages' language, a BCP 47 tag.", default="en-GB",
               example="en-GB", wrong="English"),
            _t("locale", "How numbers and dates are written (de-DE writes 40,5 %).",
               default="", default_doc="the language (lang)", example="de-DE",
               wrong="xx-XX"),
        ), default={}, wrong="2014"),
    TRACKER,
))


def _tokens(path: str) -> list[str]:
    """A key path as validation writes it ("questions[3] (roi).codes") or as a pointer
    ("questions[].codes", "indicators.*.label") -> its steps."""
    path = re.sub(r" \([^)]*\)", "", path)
    return [t for t in re.findall(r"\[\d*\]|[^.\[\]]+", path) if t]


def node(path: str) -> Key | None:
    """The Key a key path leads to, or None. An entry id (indicators.roi) or a list index
    (questions[3]) may be written as * or []."""
    cur: Key | None = FORMAT
    for tok in _tokens(path):
        cur = _step(cur, tok)
        if cur is None:
            return None
    return cur


def _step(cur: Key | None, tok: str) -> Key | None:
    if cur is None:
        return None
    if cur.kind == "one_of":
        for alt in cur.alts:
            got = _step(alt, tok)
            if got is not None:
                return got
        return None
    if tok.startswith("["):
        return cur.item if cur.kind == "list" else None
    if cur.kind == "mapping":
        return cur.key(tok)
    if cur.kind in ("entries", "map"):
        return cur.item
    return None


def keys_at(path: str) -> tuple[str, ...]:
    """The keys the mapping at ``path`` accepts, in their declared order."""
    n = node(path)
    while n is not None and n.kind in ("entries", "list"):
        n = n.item
    if n is not None and n.kind == "one_of":
        n = next((a for a in n.alts if a.kind == "mapping"), None)
    if n is None or n.kind != "mapping":
        raise KeyError(f"{path!r} is not a mapping of study.yaml")
    return tuple(k.name for k in n.keys)
