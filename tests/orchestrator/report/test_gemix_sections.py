"""The report sections gemix-table1 declares, from fabricated trials rows and sets: COVID-19 FNR, Fig. 4
matrices, Fig. 2 grid; and the registry that every declared section is found in."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from orchestrator.report.doc import Doc
from orchestrator.report.sections import SECTIONS, SectionContext, run_sections
from orchestrator.report.sections.confusion import false_negative_rates, summed_confusions
from orchestrator.workdir import WorkDir
from search_spaces import EXPERIMENTS, get_experiment
from workloads.gan.sets import save_set

GEMIX = get_experiment("gemix-table1")


def sections(doc, trials, workdir, invocation, out, experiment=GEMIX):
    return run_sections(SectionContext(experiment, trials, workdir, invocation, out, doc), experiment.sections)


def classify_rows(frame: pd.DataFrame) -> pd.DataFrame:
    finished = frame[(frame["stage"] == "classify") & (frame["status"] == "TERMINATED")]
    return finished.dropna(subset=["test_confusion"])


def trials() -> pd.DataFrame:
    rows = []
    for arch in ("resnet50", "resnet101"):
        for variant, missed in (("real+mmixup", 3), ("real+gemix", 1)):
            for seed in (0, 1):  # COVID-19 (class 2) row: `missed` + seed of 10 predicted as normal
                cm = [[10, 0, 0], [0, 9, 1], [missed + seed, 0, 10 - missed - seed]]
                rows.append(dict(experiment="gemix-table1", stage="classify", status="TERMINATED",
                                 dataset="covidx-ct3", arch=arch, variant=variant, seed=seed,
                                 test_confusion=json.dumps(cm)))
    rows.append(dict(experiment="gemix-table1", stage="classify", status="ERROR", dataset="covidx-ct3",
                     arch="resnet50", variant="real", seed=0, test_confusion=json.dumps([[0, 0, 0]] * 3)))
    rows.append(dict(experiment="gemix-table1", stage="gan", status="TERMINATED", dataset="covidx-ct3",
                     arch="stylegan2", variant="gan", seed=0, test_confusion=None))
    return pd.DataFrame(rows)


def test_false_negative_rate_and_summed_confusions():
    rates = false_negative_rates(classify_rows(trials()), "COVID-19")
    assert set(rates) == {(a, v) for a in ("resnet50", "resnet101") for v in ("real+mmixup", "real+gemix")}
    assert rates[("resnet50", "real+mmixup")] == (pytest.approx(0.35), 2)  # (3 + 4) / 20
    assert rates[("resnet101", "real+gemix")] == (pytest.approx(0.15), 2)
    matrix = summed_confusions(classify_rows(trials()))[("resnet50", "real+gemix")]
    assert matrix.tolist() == [[20, 0, 0], [0, 18, 2], [3, 0, 17]]


def test_sections_write_tables_and_figures(tmp_path):
    workdir = WorkDir(tmp_path)
    sets = tmp_path / "artifacts" / "gemix-table1" / "inv1" / "sets"
    for name in ("mixup", "mmixup", "gemix"):
        save_set(sets / name, np.full((10, 16, 16, 1), 99, np.uint8), np.full((10, 3), 1 / 3, np.float32), {})
    out = tmp_path / "reports"
    out.mkdir()
    doc = Doc("gemix-table1")
    files = sections(doc, trials(), workdir, "inv1", out)
    assert sorted(f.name for f in files) == ["confusion-matrices.json", "covid-fnr.json", "fig2-samples.png",
                                             "fig4-confusion.png"]
    assert all(f.stat().st_size > 0 for f in files)
    markdown = doc.markdown()
    assert "| resnet50 | 35.0 | 15.0 |" in markdown and "| resnet101 | 35.0 | 15.0 |" in markdown
    assert json.loads((out / "covid-fnr.json").read_text())["resnet50 / real+gemix"]["seeds"] == 2
    assert sections(Doc("x"), trials(), workdir, "inv1", out, get_experiment("zeta-table4")) == []


def test_sections_say_what_is_missing(tmp_path):
    doc = Doc("gemix-table1")
    files = sections(doc, pd.DataFrame(), WorkDir(tmp_path), None, tmp_path)
    assert files == []
    assert "No finished classifier trial" in doc.markdown() and "No generated sets" in doc.markdown()


@pytest.mark.parametrize("name", sorted(EXPERIMENTS))
def test_every_declared_section_is_registered(name):
    from search_spaces.experiment import SECTION_PLACES

    for section in get_experiment(name).sections:
        assert section.name in SECTIONS, f"{name} declares an unknown section {section.name!r}"
        assert section.place in SECTION_PLACES, f"{name}: section {section.name!r} has place {section.place!r}"
