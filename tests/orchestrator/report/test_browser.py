"""Reports as a reader sees them, in a real browser: GeMix's Table I fits a 1400-px page."""
from __future__ import annotations

import numpy as np

from orchestrator.report.build import build_report
from orchestrator.workdir import WorkDir
from search_spaces.gemix_paper import ARCHS, VARIANTS
from tests.orchestrator.fakes import metrics, write_trials


def test_gemix_table1_fits_a_1400_px_page(tmp_path, browser):
    rng = np.random.default_rng(11)
    rows = []
    for arch in ARCHS:
        for i, variant in enumerate(VARIANTS):
            for seed in range(3):
                m = metrics(rng, 0.5 + 0.05 * i)
                rows.append({"stage": "classify", "dataset": "covidx-ct3", "arch": arch, "variant": variant,
                             "seed": seed, "status": "TERMINATED", **m,
                             **{f"test_{k}": m["test_acc"] for k in ("precision_macro", "recall_macro")}})
    workdir = WorkDir.at(tmp_path / "runs")
    write_trials(workdir, "gemix-table1", rows)
    report = build_report("gemix-table1", workdir)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto((report.directory / "index.html").as_uri())
    tables = page.locator("table.results")
    assert tables.count() == 2  # Table I at the best-validation epoch, then at the last epoch
    for i in range(tables.count()):  # setups as rows, archs x metrics as columns, inside the page's margins
        assert tables.nth(i).bounding_box()["width"] <= 1400 - 2 * 16, i
        headers = tables.nth(i).locator("thead tr").first.inner_text()
        assert all(arch in headers for arch in ARCHS)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1400  # no horizontal scrolling
    page.close()
