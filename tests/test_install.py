"""`pip install .` outside the clone gives a working rocsreport: the wheel carries the
templates, the assets and the synthetic-study writers. The wheel is built, installed into a
fresh virtual environment, and used there on a copy of an example study in another folder.

The fresh environment gets the wheel alone (--no-deps); its dependencies are found through a
.pth line naming this environment's site-packages, so the test needs no network. A .pth line
adds a folder to the path without running the .pth files inside it, so this clone's own
editable install is not seen: what runs is the wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(args, cwd, env=None):
    r = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env, timeout=600,
                       check=False, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, f"{args}\n{r.stdout}\n{r.stderr}"
    return r


def test_the_wheel_installs_and_builds_a_study_outside_the_clone(tmp_path):
    dist = tmp_path / "dist"
    build = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                  "--no-index", "-w", str(dist), str(ROOT)], cwd=tmp_path)
    # setuptools says nothing about package data it would leave out.
    assert "Package would be ignored" not in build.stdout + build.stderr
    wheel = next(dist.glob("rocsreport-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in ("rocsreport/templates/base.html", "rocsreport/templates/assets/style.css",
                    "rocsreport/templates/assets/print.css", "rocsreport/templates/print.html",
                    "rocsreport/studyformat.py"):
        assert shipped in names, shipped
    assert not any(n.startswith(("surveys/", "tests/")) for n in names)

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    py = venv / "bin" / "python"
    _run([str(py), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
         cwd=tmp_path)
    site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()"
                      "['purelib'])"], cwd=tmp_path).stdout.strip())
    (site / "zz_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    where = _run([str(py), "-c", "import rocsreport; print(rocsreport.__file__)"],
                 cwd=tmp_path, env=env).stdout.strip()
    assert where.startswith(str(venv)), where

    work = tmp_path / "elsewhere"
    shutil.copytree(ROOT / "surveys" / "design-example", work / "study",
                    ignore=shutil.ignore_patterns(".rocsreport"))
    exe = str(venv / "bin" / "rocsreport")
    _run([exe, "validate", "study"], cwd=work, env=env)
    _run([exe, "build", "study", "--out", "site"], cwd=work, env=env)
    assert (work / "site" / "index.html").is_file()
    assert (work / "site" / "assets" / "style.css").is_file()
    assert (work / "site" / "report.pdf").read_bytes().startswith(b"%PDF-")
    # The schema command and init work from the wheel too.
    _run([exe, "schema"], cwd=work, env=env)
