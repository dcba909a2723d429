"""How to cite a report: the sentence on the methodology page, and the ``citation.bib`` and
``CITATION.cff`` downloads, all made from the study's title, publisher and ``publication:``
section (the same facts in each)."""

from __future__ import annotations

import re

import yaml

from .spec import Study
from .words import slug


def author(study: Study) -> str:
    return study.publisher or "rocsreport"


def sentence(study: Study) -> str:
    """The citation, as a reader would copy it."""
    pub = study.publication
    if pub.cite:
        return pub.cite
    when = f" ({pub.year})" if pub.year else ""
    edition = f", {pub.edition}" if pub.edition else ""
    return f"{author(study)}{when}. {study.title}{edition}."


_BIB_SPECIAL = re.compile(r"([\\{}&%$#_^~])")


def _bib(text: str) -> str:
    """A BibTeX field value: TeX's special characters escaped (``\\`` as a control word)."""
    def one(m: re.Match[str]) -> str:
        ch = m.group(1)
        return {"\\": r"\textbackslash{}", "^": r"\^{}", "~": r"\~{}"}.get(ch, "\\" + ch)
    return _BIB_SPECIAL.sub(one, text)


def bibtex(study: Study) -> str:
    pub = study.publication
    key = slug(study.title)[:40].strip("-") + (f"-{pub.year}" if pub.year else "")
    fields = [("title", study.title), ("author", "{" + _bib(author(study)) + "}"),
              ("institution", study.publisher)]
    if pub.year:
        fields.append(("year", pub.year))
    if pub.edition:
        fields.append(("edition", pub.edition))
    if pub.release:
        fields.append(("date", pub.release))
    if pub.licence:
        fields.append(("note", f"Licence: {pub.licence}"))
    body = ",\n".join(f"  {k} = {{{v if k == 'author' else _bib(v)}}}" for k, v in fields
                      if v)
    return f"@techreport{{{key},\n{body}\n}}\n"


def cff(study: Study) -> str:
    """CITATION.cff (Citation File Format 1.2.0), written by a YAML dumper so that any title
    is quoted as YAML needs."""
    pub = study.publication
    doc: dict[str, object] = {
        "cff-version": "1.2.0",
        "message": "If you use these figures, please cite them as below.",
        "type": "dataset",
        "title": study.title,
        "authors": [{"name": author(study)}],
    }
    if pub.edition:
        doc["version"] = pub.edition
    if pub.release:
        doc["date-released"] = pub.release
    if pub.licence:
        doc["license"] = pub.licence
    if pub.contact:
        doc["contact"] = [{"name": pub.contact}]
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
