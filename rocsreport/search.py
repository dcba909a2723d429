"""The site's search index, made at build time from the pages as they are published: each
page's title, its findings (the lead paragraph and the listed findings) and the captions of
its tables and charts. It is read from the final HTML, so it holds nothing that a page does
not show.

The index is a script (``assets/search-index.js``), not a JSON file, so that it loads from
``file://`` as well as over HTTP; the page loads it, and MiniSearch (vendored), only when the
reader first uses the search box.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import ClassVar

_SPACE = re.compile(r"\s+")
LIMIT = 400  # characters of one entry's text


class _Collect(HTMLParser):
    """The title, findings and captions inside <main>, outside chart descriptions and the
    chart specs."""

    KINDS: ClassVar[dict[str, str]] = {"h1": "Page", "caption": "Table", "figcaption": "Chart"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0  # inside <main>
        self.skip = 0  # inside an element whose text is not indexed
        self.stack: list[tuple[str, str | None]] = []
        self.found: list[tuple[str, str]] = []
        self.buf: list[str] | None = None
        self.kind = ""
        self.table = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "main":
            self.depth += 1
            return
        if not self.depth:
            return
        if tag in ("script", "style", "svg", "details", "nav") or (
                tag in ("p",) and "scroll-hint" in (a.get("class") or "")):
            self.skip += 1
            self.stack.append((tag, "skip"))
            return
        if tag == "table":
            self.table += 1
        start = None
        if self.buf is None and not self.skip:
            if tag in self.KINDS:
                start = self.KINDS[tag]
            elif tag == "p" and "lead" in (a.get("class") or "").split():
                start = "Finding"
            elif tag == "li" and not self.table:
                start = "Finding"
        if start:
            self.buf, self.kind = [], start
            self.stack.append((tag, "collect"))
        else:
            self.stack.append((tag, None))

    def handle_endtag(self, tag):
        if tag == "main":
            self.depth -= 1
            return
        if not self.depth:
            return
        while self.stack:
            name, role = self.stack.pop()
            if role == "skip":
                self.skip -= 1
            if name == "table":
                self.table -= 1
            if role == "collect" and self.buf is not None:
                text = _SPACE.sub(" ", "".join(self.buf)).strip()
                text = re.sub(r"\s*CSV$", "", text)  # the download link inside a caption
                if text:
                    self.found.append((self.kind, text))
                self.buf = None
            if name == tag:
                break

    def handle_data(self, data):
        if self.buf is not None and not self.skip:
            self.buf.append(data)


def documents(pages: dict[str, str]) -> list[dict[str, str]]:
    """One entry per title, finding and caption: id, page file, kind, page title, text."""
    docs = []
    for name in sorted(pages):
        c = _Collect()
        c.feed(pages[name])
        title = next((t for k, t in c.found if k == "Page"), name)
        seen = set()
        for kind, text in c.found:
            if (kind, text) in seen:
                continue
            seen.add((kind, text))
            docs.append({"id": str(len(docs)), "u": name, "k": kind, "p": title,
                         "x": text[:LIMIT] + ("…" if len(text) > LIMIT else "")})
    return docs


def index_script(pages: dict[str, str]) -> str:
    text = json.dumps(documents(pages), ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return ("// The search index of this site, made by rocsreport at build time from its pages.\n"
            f"window.ROCSREPORT_SEARCH = {text};\n")
