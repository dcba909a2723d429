"""The GitHub Pages workflow: build the report on every push to main and deploy it with the
official Pages actions (configure-pages, upload-pages-artifact, deploy-pages), with the
permissions and the concurrency group that GitHub's starter workflow documents.

One function writes it, for this repository (the example studies as a gallery) and for a
study repository (``rocsreport init``), so the two cannot drift apart; a test checks that the
repository's copy is what this writes.
"""

from __future__ import annotations

from pathlib import Path

from . import __version__

# Pango and a font are what WeasyPrint needs for the PDF; the runner image may lack them.
SYSTEM = "sudo apt-get update -qq && sudo apt-get install -y -qq libpango-1.0-0 " \
         "libpangoft2-1.0-0 fonts-dejavu-core"


def pages_workflow(install: str, build: str, what: str) -> str:
    return f"""\
# Publish {what} on GitHub Pages on every push to main (or by hand: Actions > Run workflow).
# Written by rocsreport {__version__}. Once, in the repository's Settings > Pages, set
# "Build and deployment: Source" to "GitHub Actions".
name: Publish the report

on:
  push:
    branches: [main]
  workflow_dispatch:

# Read the repository; write to Pages; prove to Pages where the deployment comes from.
permissions:
  contents: read
  pages: write
  id-token: write

# One deployment at a time; a run in progress is not cancelled, so a deployment is never cut
# off half way.
concurrency:
  group: pages
  cancel-in-progress: false

jobs:
  build:
    runs-on: ubuntu-latest
    timeout-minutes: 60
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: System libraries for the PDF
        run: {SYSTEM}
      - name: Install rocsreport
        run: {install}
      - name: Build the site and the PDF
        run: {build}
      - uses: actions/configure-pages@v5
      - uses: actions/upload-pages-artifact@v3
        with:
          path: _site

  deploy:
    needs: build
    runs-on: ubuntu-latest
    environment:
      name: github-pages
      url: ${{{{ steps.deployment.outputs.page_url }}}}
    steps:
      - id: deployment
        uses: actions/deploy-pages@v4
"""


EXAMPLES = ("surveys/beyond-measurement", "surveys/service-index", "surveys/design-example",
            "surveys/rocs-tracker")


def repository_workflow() -> str:
    """This repository's workflow: the example studies, as a gallery with an index page."""
    return pages_workflow(
        "python -m pip install --quiet .",
        "rocsreport gallery _site " + " ".join(EXAMPLES)
        + ' --title "rocsreport examples" --intro "Example benchmark reports built with '
          'rocsreport from illustrative, synthetic data."',
        "the example studies")


def study_workflow(study: str) -> str:
    """The workflow of a study repository; ``study`` is the study folder from the
    repository's root ("." when the study is the root)."""
    return pages_workflow(f'python -m pip install --quiet "rocsreport=={__version__}"',
                          f"rocsreport build {study} --out _site", "this study's report")


def write_for_study(study_dir: Path) -> tuple[Path, bool]:
    """Write ``.github/workflows/pages.yml`` at the root of the repository that holds
    ``study_dir`` (the nearest folder above it with ``.git``; the study folder itself when
    there is none). An existing workflow is kept; the flag says whether one was written."""
    study_dir = Path(study_dir).resolve()
    root = next((p for p in [study_dir, *study_dir.parents] if (p / ".git").exists()),
                study_dir)
    rel = study_dir.relative_to(root).as_posix() or "."
    target = root / ".github" / "workflows" / "pages.yml"
    if target.exists():
        return target, False
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(study_workflow(rel), encoding="utf-8")
    return target, True
