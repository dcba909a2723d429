"""Output folders: the markers that say what a folder holds, and organisations' folder names.

Three kinds of output, each with its own marker file, so no command writes over another's:
a public site (``build``), a folder of private organisation reports (``orgs``) and a
self-benchmark report (``compare``). A private folder is never published: it carries a
robots.txt that disallows everything and a README that says so, and ``build`` refuses to write
anywhere inside it (and ``orgs`` anywhere inside a public site).

An organisation's folder name is its id when the id is already a plain name (ASCII letters,
digits, '-' and '_'); otherwise an ASCII slug of it plus a short hash of the exact id, so ids
that differ only in spaces, punctuation, case or accents never share a folder. Ids that a
reader could mistake for one another (the same Unicode TR39 skeleton: case, width, accents
and cross-script look-alikes folded) are refused by ``validate`` and ``orgs``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from .errors import BuildError

SITE = ".rocsreport-site"
PRIVATE = ".rocsreport-private"
COMPARE = ".rocsreport-compare"
GALLERY = ".rocsreport-gallery"
KINDS = {SITE: "a public site (rocsreport build)",
         GALLERY: "a gallery of public sites (rocsreport gallery)",
         PRIVATE: "private organisation reports (rocsreport orgs)",
         COMPARE: "a self-benchmark report (rocsreport compare)"}
MARKER_TEXT = {
    SITE: "This folder is written by rocsreport build and replaced on every build.\n",
    PRIVATE: "Private organisation reports written by rocsreport orgs. Never publish this "
             "folder.\n",
    COMPARE: "A self-benchmark report written by rocsreport compare.\n",
    GALLERY: "Public sites and their index, written by rocsreport gallery and replaced on "
             "every run.\n",
}
PRIVATE_README = (
    "PRIVATE: one report per organisation, each for that organisation only.\n"
    "Do not publish this folder or put it under a public site. Send each organisation its own\n"
    "folder. `rocsreport audit SITE THIS_FOLDER` checks that no report, read beside the public\n"
    "site, gives away another organisation's figures.\n")
ROBOTS_NONE = "User-agent: *\nDisallow: /\n"

_PLAIN = re.compile(r"[A-Za-z0-9_-]+")


def kind_of(folder: Path) -> str | None:
    """The marker a folder holds, or None."""
    for m in KINDS:
        if (folder / m).is_file():
            return m
    return None


def check_out(out: Path, kind: str) -> None:
    """Refuse an output folder that holds something else: files rocsreport did not write,
    another kind of output, or a place inside a folder that must not hold this kind."""
    out = Path(out).resolve()
    if out.exists() and not out.is_dir():
        raise BuildError(f"--out {out} is a file, not a folder")
    for parent in [out, *out.parents]:
        found = kind_of(parent) if parent.is_dir() else None
        if found is None or (parent == out and found == kind):
            continue
        if found == GALLERY and parent != out and kind == SITE:
            continue  # a gallery holds public sites
        if parent == out:
            raise BuildError(f"--out {out} holds {KINDS[found]}; it is not replaced by "
                             f"{KINDS[kind].split(' (')[0]}: choose another folder")
        if found == PRIVATE or (found in (SITE, GALLERY) and kind == PRIVATE):
            raise BuildError(f"--out {out} is inside {parent}, which holds {KINDS[found]}; "
                             f"{KINDS[kind].split(' (')[0]} must not be written there")
    if out.is_dir() and any(out.iterdir()) and kind_of(out) != kind:
        raise BuildError(f"--out {out} holds files that rocsreport did not write; choose an "
                         "empty or new folder")


def skeleton(s: str) -> str:
    """A key under which ids a reader could confuse are equal: NFKC, case folded, accents
    removed, cross-script look-alikes mapped to Latin (Unicode's confusables data, TR39),
    and only letters and digits kept."""
    from confusable_homoglyphs import confusables

    t = unicodedata.normalize("NFKC", s).casefold()
    out = []
    for ch in t:
        if not ch.isascii():
            found = confusables.is_confusable(ch, preferred_aliases=["latin"])
            if found:
                ch = found[0]["homoglyphs"][0]["c"].casefold()
        out.append(ch)
    t = unicodedata.normalize("NFKD", "".join(out))
    return "".join(c for c in t if c.isalnum() and not unicodedata.combining(c))


def folder(org: str) -> str:
    """The folder name of an organisation id (see the module docstring)."""
    if _PLAIN.fullmatch(org):
        return org
    ascii_ = unicodedata.normalize("NFKD", org).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", ascii_).strip("-")[:60] or "organisation"
    return f"{slug}-{hashlib.sha256(org.encode('utf-8')).hexdigest()[:8]}"


def collisions(ids: list[str]) -> list[tuple[str, str]]:
    """Pairs of ids a reader could take for one another, or that would share a folder."""
    seen: dict[str, str] = {}
    out = []
    for org in ids:
        for key in {("s", skeleton(org)), ("f", folder(org).casefold())}:
            other = seen.get(key)
            if other is not None and other != org:
                out.append((other, org))
            seen.setdefault(key, org)
    return sorted(set(out))
