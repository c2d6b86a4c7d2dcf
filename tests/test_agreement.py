"""Constants two packages keep on purpose: `search_spaces` names things as plain data and imports
nothing of `workloads`, so where both need a value each holds it, and these tests keep them equal."""
from __future__ import annotations

from search_spaces import get_experiment
from search_spaces.datasets import get_dataset_spec
from search_spaces.experiment import GAMMA_MIN as PLANNED_GAMMA_MIN
from workloads.artifacts import SET_NAMES, TRAIN_SOURCES
from workloads.data.cifar import CIFAR10_CLASSES
from workloads.mixing.zeta import GAMMA_MIN


def test_theorem_1s_gamma_min_is_one_number():
    assert PLANNED_GAMMA_MIN == GAMMA_MIN == 1.72865


def test_cifar10_class_names_are_one_list():
    assert get_dataset_spec("cifar10").class_names == CIFAR10_CLASSES


def test_gemix_setups_and_report_sections_name_the_sets_the_stages_write():
    experiment = get_experiment("gemix-table1")
    setups = [m.params["train_sources"] for s in experiment.stages for m in s.methods if "train_sources" in m.params]
    assert {name for setup in setups for name in setup.split("+")} == set(TRAIN_SOURCES)
    samples = next(s for s in experiment.sections if s.name == "gemix-samples")
    assert tuple(samples.params["sets"]) == SET_NAMES


def test_the_readme_lists_every_paper_experiment_in_its_protocol_table():
    from pathlib import Path

    from search_spaces import EXPERIMENTS

    readme = Path(__file__).resolve().parents[1] / "README.md"
    section = readme.read_text().split("## Paper experiments", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    named = " ".join(row.split("|")[1] for row in rows)
    figures = [n for n in EXPERIMENTS if n.startswith(("zeta-fig2", "zeta-fig3", "zeta-fig4", "zeta-fig5", "zeta-fig6",
                                                        "zeta-fig7", "zeta-fig8", "zeta-table9"))]
    missing = [n for n in EXPERIMENTS if n != "demo" and n not in figures and f"`{n}`" not in named]
    assert not missing, f"README's paper-experiment table lacks {missing}"
    assert "`zeta-fig2` … `zeta-fig8`, `zeta-table9`" in named and len(figures) == 8
    for name in EXPERIMENTS:
        assert EXPERIMENTS[name].protocol, f"{name} states no protocol"
