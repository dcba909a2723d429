"""``rocsreport serve``: build the site, serve it on 127.0.0.1, rebuild when the study changes,
and reload the open page.

- The study folder is watched with watchfiles (Rust's notify; polling where the system has no
  file events): ``study.yaml``, ``data/``, ``pages/`` and ``templates/``.
- The reload script exists only here: the server adds one ``<script src>`` to each HTML page
  as it sends it, and serves the script and a status document from ``/__rocsreport/``. Nothing
  is written into the built site, so the site can be published as it is.
- A failed rebuild is shown in the terminal and, by the script, at the top of the open page;
  the folder keeps the last good site (``build`` swaps a new site in only when it is whole).
- The PDF is skipped unless ``--pdf`` is given: laying it out takes longer than the pages.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PREFIX = "/__rocsreport/"
TAG = f'<script src="{PREFIX}reload.js" defer></script>'
WATCHED = ("study.yaml", "data", "pages", "templates")

RELOAD_JS = """\
// rocsreport serve: reload this page after a rebuild; show a failed rebuild's error.
(function () {
  var seen = null;
  function banner(text) {
    var box = document.getElementById("rocsreport-serve-error");
    if (!text) { if (box) { box.remove(); } return; }
    if (!box) {
      box = document.createElement("div");
      box.id = "rocsreport-serve-error";
      box.setAttribute("role", "alert");
      var st = box.style;  // set through the CSSOM, which the pages' CSP allows
      st.background = "#b3261e"; st.color = "#fff"; st.padding = "0.6rem 1.25rem";
      st.fontWeight = "bold"; st.position = "sticky"; st.top = "0"; st.zIndex = "10";
      document.body.insertBefore(box, document.body.firstChild);
    }
    box.textContent = "The last rebuild failed, so this is the previous site. " + text;
  }
  function poll() {
    fetch("/__rocsreport/status", {cache: "no-store"}).then(function (r) { return r.json(); })
      .then(function (s) {
        if (seen !== null && s.version !== seen && !s.error) { location.reload(); return; }
        seen = s.version;
        banner(s.error);
      }).catch(function () {}).finally(function () { setTimeout(poll, 500); });
  }
  poll();
})();
"""


@dataclass
class State:
    version: int = 0
    error: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def done(self, error: str = "") -> None:
        with self.lock:
            self.version += 1
            self.error = error

    def status(self) -> bytes:
        with self.lock:
            return json.dumps({"version": self.version, "error": self.error}).encode()


def _handler(root: Path, state: State):
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, format, *args):
            pass  # the terminal shows builds, not every request

        def do_GET(self):
            path = self.path.split("?", 1)[0]
            if path == PREFIX + "reload.js":
                return self._send(RELOAD_JS.encode(), "text/javascript; charset=utf-8")
            if path == PREFIX + "status":
                return self._send(state.status(), "application/json")
            target = Path(self.translate_path(path))
            if target.is_dir():
                target = target / "index.html"
            if target.suffix == ".html" and target.is_file():
                html = target.read_text(encoding="utf-8")
                at = html.rfind("</body>")
                html = html[:at] + TAG + html[at:] if at >= 0 else html + TAG
                return self._send(html.encode("utf-8"), "text/html; charset=utf-8")
            if not target.exists() and state.error and not any(root.iterdir()):
                # No site yet (the first build failed): say why on every page.
                return self._send(_error_page(state.error), "text/html; charset=utf-8", 503)
            return super().do_GET()

        def end_headers(self):
            self.send_header("Cache-Control", "no-store")
            super().end_headers()

        def _send(self, body: bytes, kind: str, code: int = 200):
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def _error_page(error: str) -> bytes:
    from html import escape

    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Build failed'
            f'</title></head><body><main><h1>The build failed</h1><p role="alert">'
            f'{escape(error)}</p><p>Fix it and save: the page reloads after the next build.'
            f'</p></main>{TAG}</body></html>').encode()


def _watched(study: Path):
    from watchfiles import DefaultFilter

    base = DefaultFilter()
    roots = [study / w for w in WATCHED]

    def accept(change, path: str) -> bool:
        p = Path(path)
        return base(change, path) and any(p == r or p.is_relative_to(r) for r in roots)

    return accept


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def serve(study_dir: Path, out: Path, port: int, make_pdf: bool, echo) -> None:
    """Build, serve and rebuild until interrupted (Ctrl-C)."""
    from watchfiles import watch

    from .pipeline import build

    study = Path(study_dir).resolve()
    out = Path(out).resolve()
    state = State()

    def rebuild(why: str) -> None:
        start = time.perf_counter()
        try:
            result = build(study, out, None, make_pdf=make_pdf)
        except Exception as exc:
            state.done(one_line(exc))
            echo(f"build failed ({why}): {one_line(exc)}; still serving the last good site")
            return
        state.done()
        echo(f"built {len(result.pages)} pages ({why}) in {time.perf_counter() - start:.1f} s")

    out.mkdir(parents=True, exist_ok=True)
    rebuild("start")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _handler(out, state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    echo(f"serving http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C to stop); "
         f"watching {', '.join(WATCHED)} in {study}")
    stop = threading.Event()
    try:
        for changes in watch(study, watch_filter=_watched(study), debounce=300, step=50,
                             stop_event=stop, raise_interrupt=True):
            names = sorted({Path(p).relative_to(study).as_posix() for _, p in changes})
            rebuild(", ".join(names[:3]) + (" …" if len(names) > 3 else "") + " changed")
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()
        echo("stopped")
