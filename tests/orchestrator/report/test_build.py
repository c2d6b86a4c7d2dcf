"""build_report on fabricated trials Parquet: paper-layout tables, published numbers and differences,
bold / underline, missing and incomplete cells, the work-directory index."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from orchestrator.report.build import build_report
from orchestrator.report.significance import consistency_mark, welch_p_from_stats
from orchestrator.workdir import WorkDir
from search_spaces.published import published
from search_spaces.zeta_paper import NATURAL_NATIVE
from tests.orchestrator.fakes import grid_rows, metrics, write_trials

T4_BASE = {"erm": 0.94, "mixup": 0.95, "zeta-2.4": 0.956, "zeta-2.8": 0.952, "zeta-4.0": 0.947}


def md_table(markdown: str, heading: str) -> dict[str, dict[str, str]]:
    """The Markdown table under `heading` as {row: {column: cell text}}."""
    block = markdown.split(heading, 1)[1].split("\n\n", 2)[1]
    lines = [line for line in block.splitlines() if line.startswith("|")]
    header = [h.strip() for h in lines[0].strip("|").split("|")]
    table = {}
    for line in lines[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        table[cells[0]] = {}
        for name, cell in zip(header[1:], cells[1:]):
            table[cells[0]].update(unfold(name, cell))
    return table


def unfold(column: str, cell: str) -> dict[str, str]:
    """A cell of a table too wide for the page holds ours, the gain, "pub ..." and "Δ ..." one per line
    (see results_tabular): as the columns of the wide layout, {column, "<column> (published)", "<column> Δ"}."""
    if "<br>" not in cell:
        return {column: cell}
    wrap = ("**", "**") if cell.startswith("**") else ("<u>", "</u>") if cell.startswith("<u>") else ("", "")
    inner = cell[len(wrap[0]): len(cell) - len(wrap[1])]
    ours, pub, delta = [], "–", "–"
    for line in inner.split("<br>"):
        if line.startswith("pub "):
            pub = line[4:]
        elif line.startswith("Δ "):
            delta = line[2:]
        else:
            ours.append(line)
    text = " ".join(ours)
    return {column: f"{wrap[0]}{text}{wrap[1]}", f"{column} (published)": pub, f"{column} Δ": delta}


def stats(frame: pd.DataFrame, metric: str, **where) -> tuple[float, float]:
    mask = np.ones(len(frame), bool)
    for key, value in where.items():
        mask &= frame[key].to_numpy() == value
    values = frame.loc[mask & (frame["status"] == "TERMINATED").to_numpy(), metric].to_numpy(float)
    return values.mean(), values.std(ddof=1)


def plain(text: str) -> str:
    return re.sub(r"\*\*|</?u>", "", text)


@pytest.fixture
def table4(tmp_path):
    """zeta-table4 with a subset of cells: cifar10 complete, cifar100 with 2 seeds of erm and mixup
    plus one running and one failed trial, every other dataset not started."""
    rng = np.random.default_rng(4)
    rows = grid_rows("table4", [("cifar10", "cifar_resnet18", v) for v in T4_BASE], range(3), T4_BASE, rng)
    rows += grid_rows("table4", [("cifar100", "cifar_resnet18", v) for v in ("erm", "mixup")], range(2), T4_BASE, rng)
    rows += grid_rows("table4", [("cifar100", "cifar_resnet18", "zeta-2.8")], [0], T4_BASE, rng, status="RUNNING")
    failed = grid_rows("table4", [("cifar100", "cifar_resnet18", "zeta-4.0")], [0], T4_BASE, rng, status="ERROR")
    failed[0]["error"] = "FloatingPointError: non-finite training loss"
    workdir = WorkDir.at(tmp_path / "runs")
    full = write_trials(workdir, "zeta-table4", rows + failed)
    return workdir, pd.DataFrame(full), build_report("zeta-table4", workdir)


def test_table4_cells_are_mean_and_std_over_seeds_in_paper_order(table4):
    _, frame, report = table4
    table = md_table(report.markdown, "### table4: test_err")
    assert list(table) == list(NATURAL_NATIVE)  # the paper's row order, every planned dataset shown
    # Imagenette and Imagewoof (224 px, timm's ResNet-18) are a stage and a table of their own.
    assert list(md_table(report.markdown, "### table4-224px: test_err")) == ["imagenette", "imagewoof"]
    for variant in T4_BASE:
        mean, std = stats(frame, "test_err", dataset="cifar10", variant=variant)
        assert plain(table["cifar10"][variant]).startswith(f"{mean * 100:.2f} ± {std * 100:.2f}")


def test_table4_relative_improvement_over_mixup_and_best_bold_second_underlined(table4):
    _, frame, report = table4
    row = md_table(report.markdown, "### table4: test_err")["cifar10"]
    means = {v: stats(frame, "test_err", dataset="cifar10", variant=v)[0] for v in T4_BASE}
    ranked = sorted(means, key=means.get)  # error: lower is better
    assert row[ranked[0]].startswith("**") and row[ranked[0]].endswith("**")
    assert row[ranked[1]].startswith("<u>") and row[ranked[1]].endswith("</u>")
    assert not any(row[v].startswith(("**", "<u>")) for v in ranked[2:])
    for variant in T4_BASE:
        if variant != "mixup":
            gain = -(means[variant] - means["mixup"]) / means["mixup"] * 100
            assert f"({gain:+.1f}%)" in row[variant]
    assert "%)" not in row["mixup"]  # no improvement of the baseline over itself


def test_table4_published_numbers_and_differences_are_beside_ours(table4):
    _, frame, report = table4
    table = {**md_table(report.markdown, "### table4: test_err"), **md_table(report.markdown, "### table4-224px: test_err")}
    for dataset, arch in (("cifar10", "cifar_resnet18"), ("imagewoof", "resnet18")):
        for variant in T4_BASE:
            pub = published("zeta-table4", dataset, arch, variant, "test_err")[0]
            assert table[dataset][f"{variant} (published)"] == f"{pub.value * 100:.2f} ± {pub.std * 100:.2f}"
    mean, std = stats(frame, "test_err", dataset="cifar10", variant="zeta-2.4")
    row = published("zeta-table4", "cifar10", "cifar_resnet18", "zeta-2.4", "test_err")[0]
    pub = row.value
    mark = consistency_mark(welch_p_from_stats(mean, std, 3, row.value, row.std))  # the paper's 3 runs
    assert mark and table["cifar10"]["zeta-2.4 Δ"] == f"{(mean - pub) * 100:+.2f} {mark}"
    assert table["imagewoof"]["zeta-2.4 Δ"] == "–"  # nothing of ours to compare yet
    assert "published: zeta-mixup Table 4" in report.markdown
    html = (report.directory / "table4-test_err.html").read_text()
    latex = (report.directory / "table4-test_err.tex").read_text()
    assert "published: zeta-mixup Table 4" in html and "published: zeta-mixup Table 4" in latex
    assert f"{pub * 100:.2f}" in html and f"{pub * 100:.2f}" in latex


def test_table4_marks_incomplete_running_missing_and_failed(table4):
    _, frame, report = table4
    table = md_table(report.markdown, "### table4: test_err")
    mean, std = stats(frame, "test_err", dataset="cifar100", variant="erm")
    assert f"{mean * 100:.2f} ± {std * 100:.2f} (2/3)" in table["cifar100"]["erm"]
    assert table["cifar100"]["zeta-2.8"] == "running"
    assert table["cifar100"]["zeta-4.0"] == "missing"  # its only trial failed
    assert table["stl10"]["erm"] == "missing"
    assert "## table4: 5 of 20 cells complete" in report.markdown and "## table4-224px: 0 of 10 cells" in report.markdown
    assert "cifar100 × erm: 2/3 seeds (incomplete)" in report.markdown
    assert "cifar100 × zeta-2.8: 0/3 seeds (running)" in report.markdown
    assert "non-finite training loss" in report.markdown
    assert "21 of 90 planned trials recorded, 19 finished, 1 running, 1 failed" in report.markdown


def test_report_files_are_in_its_directory_and_the_index_links_them(table4):
    workdir, _, report = table4
    assert report.directory == workdir.reports / "zeta-table4" / "inv-1"  # fakes.write_trials' invocation
    for suffix in ("md", "html", "tex"):
        assert (report.directory / f"table4-test_err.{suffix}") in report.files
    for path in report.files:
        assert path.exists() and path.stat().st_size > 0
    page = (report.directory / "index.html").read_text()
    assert "table4-test_err.tex" in page and "<b>" in page and "<u>" in page
    assert (report.directory / "report.md").read_text() == report.markdown


def test_table5_rows_are_dataset_and_arch_and_improvement_is_over_cutmix(tmp_path):
    rng = np.random.default_rng(5)
    base = {"cutmix": 0.95, "cutmix+zeta": 0.96}
    archs = ("cifar_resnet18", "cifar_resnet50", "cifar_mobilenetv2_100", "cifar_efficientnet_b0")
    cells = [(d, a, v) for d in ("cifar10", "cifar100") for a in archs for v in base]
    workdir = WorkDir.at(tmp_path)
    frame = pd.DataFrame(write_trials(workdir, "zeta-table5", grid_rows("table5", cells, range(3), base, rng)))
    report = build_report("zeta-table5", workdir)
    table = md_table(report.markdown, "### table5: test_err")
    assert list(table)[:2] == ["cifar10 / cifar_resnet18", "cifar10 / cifar_resnet50"] and len(table) == 8
    a, _ = stats(frame, "test_err", dataset="cifar100", arch="cifar_mobilenetv2_100", variant="cutmix")
    b, sb = stats(frame, "test_err", dataset="cifar100", arch="cifar_mobilenetv2_100", variant="cutmix+zeta")
    cell = table["cifar100 / cifar_mobilenetv2_100"]
    assert plain(cell["cutmix+zeta"]) == f"{b * 100:.2f} ± {sb * 100:.2f} ({-(b - a) / a * 100:+.1f}%)"
    pub = published("zeta-table5", "cifar100", "cifar_mobilenetv2_100", "cutmix+zeta", "test_err")[0]
    assert cell["cutmix+zeta (published)"] == "28.31 ± 0.25" == f"{pub.value * 100:.2f} ± {pub.std * 100:.2f}"
    # fabricated errors near 50 % are far from the paper's 28.31 ± 0.25: not consistent
    assert cell["cutmix+zeta Δ"] == f"{(b - pub.value) * 100:+.2f} ✗"
    assert "## table5: 16 of 16 cells complete" in report.markdown


def test_smoke_invocation_expects_one_seed_on_the_small_arch_and_no_published_match(tmp_path):
    """--smoke maps Table 5's four archs to small_cnn and keeps one seed: the report's cells follow."""
    rng = np.random.default_rng(6)
    base = {"cutmix": 0.5, "cutmix+zeta": 0.55}
    workdir = WorkDir.at(tmp_path)
    rows = grid_rows("table5", [("cifar10", "small_cnn", v) for v in base], [0], base, rng)
    write_trials(workdir, "zeta-table5", rows, smoke=True)
    report = build_report("zeta-table5", workdir)
    table = md_table(report.markdown, "### table5: test_err")
    assert list(table) == ["cifar10", "cifar100"]
    assert "(1/" not in table["cifar10"]["cutmix"] and table["cifar100"]["cutmix"] == "missing"
    assert table["cifar10"]["cutmix (published)"] == "–"  # small_cnn is not the paper's arch
    assert "(smoke)" in report.markdown and "## table5: 2 of 4 cells complete" in report.markdown


def test_demo_grid_and_sweep_and_index_of_every_report(tmp_path):
    rng = np.random.default_rng(7)
    base = {"erm": 0.9, "mixup": 0.92, "zeta-2.4": 0.93, "zeta-2.8": 0.94, "zeta-4.0": 0.91}
    rows = grid_rows("grid", [("digits", "small_cnn", v) for v in base], range(3), base, rng)
    for i, gamma in enumerate([1.2, 2.0, 3.0, 4.5, 5.5]):
        rows.append({"stage": "sweep", "dataset": "digits", "arch": "small_cnn", "variant": "zeta", "seed": 0,
                     "gamma": gamma, "weight_decay": 1e-4 * (i + 1), "status": "TERMINATED",
                     **metrics(rng, 0.95 - 0.01 * i)})
    workdir = WorkDir.at(tmp_path)
    frame = pd.DataFrame(write_trials(workdir, "demo", rows))
    report = build_report("demo", workdir)
    table = md_table(report.markdown, "### grid: test_f1_macro")
    mean, std = stats(frame, "test_f1_macro", variant="zeta-2.8")
    assert plain(table["digits"]["zeta-2.8"]).startswith(f"{mean * 100:.2f} ± {std * 100:.2f}")
    assert "zeta-2.8 (published)" not in table["digits"]  # the demo has no published numbers
    sweep = frame[frame["stage"] == "sweep"]
    best = sweep.loc[sweep["val_acc"].idxmax()]  # chosen on validation, its test score shown beside
    assert f"Best val_acc = {best['val_acc']:.4f} at gamma={best['gamma']:.4g}" in report.markdown
    assert f"that trial's test_acc = {best['test_acc']:.4f}" in report.markdown
    assert "1 of 5 trials have γ < 1.72865 (grey)" in report.markdown
    assert (report.directory / "sweep-parallel.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    other = build_report("zeta-table7", workdir)  # nothing run: still listed, every cell missing
    index = (workdir.reports / "index.html").read_text()
    assert workdir.reports / "index.html" in other.files
    for name in ("demo", "zeta-table7"):
        assert f'href="{name}/index.html"' in index
    assert "grid 5/5 cells; sweep 5/16 trials" in index and "table7 0/30 cells" in index
    assert 'href="../../index.html"' in (report.directory / "index.html").read_text()  # reports/index.html
    for page in (workdir.reports / "index.html", report.directory / "index.html", report.directory.parent / "index.html"):
        for target in re.findall(r'(?:href|src)="([^"]+)"', page.read_text()):
            assert not target.startswith(("http:", "https:", "/")) and (page.parent / target).exists(), target


def test_table6_every_metric_per_dataset_and_arch_with_published_fractions_as_percent(tmp_path):
    rng = np.random.default_rng(8)
    base = {"erm": 0.7, "mixup": 0.72, "zeta-2.4": 0.74, "zeta-2.8": 0.73, "zeta-4.0": 0.71}
    cells = [("isic2016", a, v) for a in ("resnet18", "resnet50") for v in base]
    workdir = WorkDir.at(tmp_path)
    frame = pd.DataFrame(write_trials(workdir, "zeta-table6", grid_rows("table6", cells, range(3), base, rng)))
    report = build_report("zeta-table6", workdir)
    for metric in ("test_bacc", "test_f1_micro", "test_f1_macro"):
        table = md_table(report.markdown, f"### table6: {metric}")
        assert list(table)[:3] == ["isic2016 / resnet18", "isic2016 / resnet50", "isic2017 / resnet18"]
        mean, std = stats(frame, metric, dataset="isic2016", arch="resnet50", variant="zeta-4.0")
        assert plain(table["isic2016 / resnet50"]["zeta-4.0"]).startswith(f"{mean * 100:.2f} ± {std * 100:.2f}")
    table = md_table(report.markdown, "### table6: test_f1_micro")
    assert table["isic2016 / resnet18"]["erm (published)"] == "78.36"  # printed as 0.7836, no std
    assert table["isic2016 / resnet50"]["erm (published)"] == "81.27"
    assert "## table6: 10 of 100 cells complete" in report.markdown


def test_unknown_experiment_is_a_value_error_naming_the_choices(tmp_path):
    with pytest.raises(ValueError, match="valid choices: .*zeta-table4"):
        build_report("zeta-table99", WorkDir.at(tmp_path))


def test_a_report_read_from_a_damaged_store_says_so_and_names_the_part(tmp_path):
    from orchestrator.record.parts import list_parts
    from orchestrator.record.results import epochs_table

    rng = np.random.default_rng(9)
    base = {"erm": 0.9, "mixup": 0.92, "zeta-2.4": 0.93, "zeta-2.8": 0.94, "zeta-4.0": 0.91}
    workdir = WorkDir.at(tmp_path)
    write_trials(workdir, "demo", grid_rows("grid", [("digits", "small_cnn", v) for v in base], [0], base, rng))
    epochs = epochs_table(workdir.results).partition("demo", "inv-1", "grid")
    for trial in ("t0000", "t0001"):
        epochs.insert([{"trial_id": trial, "epoch": 1, "test_acc": 0.5}])
    assert "Damaged" not in build_report("demo", workdir).markdown
    part = list_parts(epochs.directory)[0].path
    part.write_bytes(part.read_bytes()[:50])

    report = build_report("demo", workdir)
    assert "**Damaged results store: 1 unreadable Parquet part(s) were skipped" in report.markdown
    assert f"results/epochs/demo/inv-1/grid/{part.name}" in report.markdown
    assert "5 finished" in report.markdown  # the trials still read

    epochs_table(workdir.results).partition("demo", "inv-1", "grid").insert(
        [{"trial_id": "t0000", "epoch": 1, "test_acc": 0.5}])  # a writer (resume's reconcile) sets it aside
    report = build_report("demo", workdir)
    assert "Damaged results store" not in report.markdown
    assert f"1 damaged Parquet part(s) were set aside (results/epochs/demo/inv-1/grid/_{part.name}.damaged)" \
        in report.markdown


def test_gemix_table1_reports_the_best_validation_epoch_and_the_last_epoch_below(tmp_path):
    from search_spaces.gemix_paper import ARCHS, VARIANTS

    rows = []
    for arch in ARCHS:
        for variant in VARIANTS:
            for seed in range(3):
                at_best = {f"test_{m}": 0.4321 for m in ("precision_macro", "recall_macro", "f1_macro")}
                last = {k: 0.1234 for k in at_best}
                rows.append({"stage": "classify", "dataset": "covidx-ct3", "arch": arch, "variant": variant, "seed": seed,
                             "status": "TERMINATED", **last, **{f"at_best_{k}": v for k, v in at_best.items()},
                             "best_epoch": 3, "selected_on": "val_acc"})
    workdir = WorkDir.at(tmp_path / "runs")
    write_trials(workdir, "gemix-table1", rows)
    report = build_report("gemix-table1", workdir)
    text = (report.directory / "report.md").read_text()
    assert "at each trial's epoch best on val_acc" in text
    best = (report.directory / "classify-table.md").read_text()
    last = (report.directory / "classify-table-last-epoch.md").read_text()
    assert "43.21 ± 0.00" in best and "12.34" not in best  # every cell at its best-validation epoch
    assert "12.34 ± 0.00" in last and "43.21" not in last  # ... and at its last
    assert text.index("| setup |") < text.index("at the last epoch") < text.rindex("| setup |")  # below Table I
