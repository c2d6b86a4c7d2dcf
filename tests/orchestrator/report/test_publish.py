"""Reports per invocation: reports/NAME/<invocation>/ written whole, reports/NAME/ leading to the newest
(a relative `latest` link and pointer pages), concurrent builders, copied and moved work directories."""
from __future__ import annotations

import json
import multiprocessing
import os
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from orchestrator.cli.main import main
from orchestrator.report.build import build_report
from orchestrator.report.publish import latest_report
from orchestrator.workdir import WorkDir
from tests.orchestrator.fakes import grid_rows, write_trials

BASE = {"erm": 0.9, "mixup": 0.92, "zeta-2.4": 0.93, "zeta-2.8": 0.94, "zeta-4.0": 0.91}


def two_invocations(root: Path) -> WorkDir:
    """demo run twice in one work directory: inv-1 with one seed per cell, inv-2 with two."""
    workdir = WorkDir.at(root)
    rng = np.random.default_rng(13)
    for invocation, seeds in (("inv-1", [0]), ("inv-2", [0, 1])):
        rows = grid_rows("grid", [("digits", "small_cnn", v) for v in BASE], seeds, BASE, rng)
        write_trials(workdir, "demo", rows, invocation=invocation)
    return workdir


def assert_complete(folder: Path, invocation: str) -> None:
    """A whole report of `invocation`: its pages, tables, figures and summary."""
    assert json.loads((folder / "summary.json").read_text())["invocation"] == invocation
    assert f"Invocation {invocation}:" in (folder / "report.md").read_text()
    assert "grid-test_f1_macro.tex" in (folder / "index.html").read_text()
    for name in ("grid-test_f1_macro.md", "grid-test_f1_macro.html", "grid-test_f1_macro.tex", "grid-test_acc.md"):
        assert (folder / name).stat().st_size > 0, name


def assert_links_resolve(*pages: Path) -> None:
    for page in pages:
        for target in re.findall(r'(?:href|src)="([^"]+)"|url=([^"]+)"', page.read_text()):
            target = next(t for t in target if t)
            assert not target.startswith(("http:", "https:", "/")) and (page.parent / target).exists(), (page, target)


def hidden(workdir: WorkDir) -> list[str]:
    return [p.name for p in workdir.experiment_reports("demo").iterdir() if p.name.startswith(".")]


def test_each_invocation_has_its_folder_and_reports_name_leads_to_the_newest(tmp_path):
    workdir = two_invocations(tmp_path / "runs")
    first = build_report("demo", workdir, invocation="inv-1")
    latest = build_report("demo", workdir)  # the latest invocation: inv-2
    again = build_report("demo", workdir, invocation="inv-1")  # an older one rebuilt: inv-2 stays the latest
    reports = workdir.experiment_reports("demo")
    assert (first.directory, latest.directory, again.directory) == (reports / "inv-1", reports / "inv-2", reports / "inv-1")
    assert (first.invocation, latest.invocation) == ("inv-1", "inv-2")
    assert_complete(reports / "inv-1", "inv-1")
    assert_complete(reports / "inv-2", "inv-2")
    assert "(1/3)" in (reports / "inv-1" / "report.md").read_text() and "(2/3)" in latest.markdown

    assert os.readlink(reports / "latest") == "inv-2"  # relative
    assert (reports / "latest" / "report.md").read_text() == latest.markdown
    assert latest_report(workdir, "demo") == reports / "inv-2"
    pointer = (reports / "index.html").read_text()
    assert 'url=inv-2/index.html"' in pointer and 'href="inv-1/index.html"' in pointer
    assert (reports / "report.md").read_text().startswith("# demo\n\nLatest report: invocation inv-2, in inv-2/")
    assert reports / "index.html" in again.files and workdir.reports / "index.html" in again.files
    index = (workdir.reports / "index.html").read_text()
    assert 'href="demo/inv-2/index.html"' in index and 'href="demo/inv-1/index.html"' in index
    assert index.index("demo/inv-2/index.html") < index.index("demo/inv-1/index.html")  # latest, then older
    page = (reports / "inv-1" / "index.html").read_text()
    assert 'href="../../index.html"' in page and 'href="../index.html"' in page
    assert_links_resolve(workdir.reports / "index.html", reports / "index.html", reports / "inv-1" / "index.html")
    assert hidden(workdir) == []  # no staging folder left behind


def test_rebuilding_a_report_replaces_its_folder_whole(tmp_path):
    workdir = two_invocations(tmp_path / "runs")
    folder = build_report("demo", workdir).directory
    (folder / "stray.txt").write_text("from an earlier build")
    rng = np.random.default_rng(14)
    write_trials(workdir, "demo", grid_rows("grid", [("digits", "small_cnn", v) for v in BASE], [0, 1, 2], BASE, rng),
                 invocation="inv-2")
    report = build_report("demo", workdir)
    assert report.directory == folder and not (folder / "stray.txt").exists()
    assert "(2/3)" not in report.markdown and "grid: 5 of 5 cells complete" in report.markdown
    assert_complete(folder, "inv-2")
    assert hidden(workdir) == []


def _build(root: str, invocation: str, start: multiprocessing.synchronize.Barrier) -> None:
    start.wait(timeout=120)
    build_report("demo", WorkDir.at(root), invocation=invocation)


def test_two_reports_built_at_once_both_survive_and_latest_is_always_complete(tmp_path):
    workdir = two_invocations(tmp_path / "runs")
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    builders = [context.Process(target=_build, args=(str(workdir.root), inv, start)) for inv in ("inv-2", "inv-1")]
    for builder in builders:
        builder.start()
    link, seen = workdir.latest_report_link("demo"), set()
    deadline = time.monotonic() + 300
    while any(b.is_alive() for b in builders) and time.monotonic() < deadline:
        if link.is_symlink():  # whenever the link is there, it leads to a whole report
            target = os.readlink(link)
            assert_complete(link.parent / target, target)
            seen.add(target)
        time.sleep(0.002)
    for builder in builders:
        builder.join(timeout=60)
        assert builder.exitcode == 0
    reports = workdir.experiment_reports("demo")
    assert_complete(reports / "inv-1", "inv-1")
    assert_complete(reports / "inv-2", "inv-2")
    assert os.readlink(link) == "inv-2" and seen <= {"inv-1", "inv-2"}
    assert 'url=inv-2/index.html"' in (reports / "index.html").read_text()
    assert "invocation inv-2, in inv-2/" in (reports / "report.md").read_text()
    index = (workdir.reports / "index.html").read_text()
    assert 'href="demo/inv-2/index.html"' in index and 'href="demo/inv-1/index.html"' in index
    assert hidden(workdir) == []


def test_a_copied_or_moved_work_directory_still_leads_to_its_latest_report(tmp_path):
    original = two_invocations(tmp_path / "runs")
    build_report("demo", original, invocation="inv-1")
    build_report("demo", original)
    shutil.copytree(original.root, tmp_path / "copy", symlinks=True)  # as cp -a, rsync -a or tar do
    os.rename(original.root, tmp_path / "moved")  # and the original moved away
    for root in (tmp_path / "copy", tmp_path / "moved"):
        workdir = WorkDir.at(root)
        reports = workdir.experiment_reports("demo")
        assert os.readlink(reports / "latest") == "inv-2"
        assert latest_report(workdir, "demo") == reports / "inv-2"
        assert_complete(reports / "latest", "inv-2")
        assert_links_resolve(workdir.reports / "index.html", reports / "index.html", reports / "inv-2" / "index.html")


def test_a_copy_that_followed_the_link_still_resolves_and_gets_the_link_back(tmp_path):
    """Copiers that follow links (shutil.copytree's default, object-store syncs) turn `latest` into a copy
    of the report; the pointer pages and `latest_report` do not need the link, and the next report
    makes it a link again."""
    original = two_invocations(tmp_path / "runs")
    build_report("demo", original)
    shutil.copytree(original.root, tmp_path / "copy")
    workdir = WorkDir.at(tmp_path / "copy")
    reports = workdir.experiment_reports("demo")
    assert not (reports / "latest").is_symlink()
    assert latest_report(workdir, "demo") == reports / "inv-2"
    assert_links_resolve(reports / "index.html")
    build_report("demo", workdir, invocation="inv-1")
    assert os.readlink(reports / "latest") == "inv-2"
    assert hidden(workdir) == []


def test_a_report_of_the_former_layout_moves_into_its_invocation_folder(tmp_path):
    workdir = two_invocations(tmp_path / "runs")
    old = workdir.experiment_reports("demo")
    old.mkdir(parents=True)
    (old / "summary.json").write_text(json.dumps({"experiment": "demo", "invocation": "inv-0", "progress": "p"}))
    for name in ("report.md", "index.html", "grid-test_acc.md"):
        (old / name).write_text(f"old {name}")
    (old / "compare-laptop.html").write_text("a comparison")
    build_report("demo", workdir)
    assert {p.name for p in (old / "inv-0").iterdir()} == {"summary.json", "report.md", "index.html", "grid-test_acc.md"}
    assert (old / "compare-laptop.html").read_text() == "a comparison"
    assert not (old / "summary.json").exists() and os.readlink(old / "latest") == "inv-2"
    index = (workdir.reports / "index.html").read_text()
    assert 'href="demo/inv-0/index.html"' in index and 'href="demo/compare-laptop.html"' in index


def test_an_experiment_never_run_has_a_report_until_its_first_run(tmp_path):
    workdir = WorkDir.at(tmp_path / "runs")
    empty = build_report("demo", workdir)
    assert empty.invocation is None and empty.directory.name == "no-invocation"
    assert latest_report(workdir, "demo") == empty.directory
    rng = np.random.default_rng(15)
    write_trials(workdir, "demo", grid_rows("grid", [("digits", "small_cnn", "erm")], [0], BASE, rng))
    build_report("demo", workdir)
    assert not empty.directory.exists() and latest_report(workdir, "demo").name == "inv-1"


def test_report_command_builds_the_invocation_asked_for(tmp_path, capsys):
    workdir = two_invocations(tmp_path / "runs")
    assert main(["report", "demo", "--invocation", "inv-1", "--workdir", str(workdir.root)]) == 0
    out = capsys.readouterr().out
    assert "Invocation inv-1:" in out and f"report of invocation inv-1: {workdir.report('demo', 'inv-1')}/" in out
    assert latest_report(workdir, "demo") == workdir.report("demo", "inv-1")  # the only report so far
    assert main(["report", "demo", "--invocation", "inv-9", "--workdir", str(workdir.root)]) == 2
    err = capsys.readouterr().err
    assert "no invocation 'inv-9' of 'demo'" in err and "known: inv-1, inv-2" in err


def test_an_unknown_invocation_is_a_value_error_naming_the_known_ones(tmp_path):
    workdir = two_invocations(tmp_path / "runs")
    with pytest.raises(ValueError, match=r"no invocation 'inv-9' of 'demo' in .*; known: inv-1, inv-2"):
        build_report("demo", workdir, invocation="inv-9")
    assert not workdir.experiment_reports("demo").exists()
