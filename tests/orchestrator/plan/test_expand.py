import pytest

from orchestrator.plan.expand import plan_experiment
from search_spaces import EXPERIMENTS, get_experiment


def grid(plans):
    return next(p for p in plans if p.kind == "grid")


def test_demo_expands_to_its_grid_and_sweep_with_validated_flat_configs():
    grid_plan, sweep = plan_experiment(get_experiment("demo"))
    assert grid_plan.num_trials == 5 * 3 and sweep.num_trials == 16
    config = grid_plan.configs[0]
    assert config["dataset"] == "digits" and config["arch"] == "small_cnn"
    assert config["epochs"] == 40 and config["train_subset"] == 60 and config["momentum"] == 0.9 and config["nesterov"] is True
    assert all(isinstance(v, (int, float, str, bool, list, type(None))) for v in config.values())
    assert set(sweep.space) == {"gamma", "weight_decay"} and sweep.base["method"] == "zeta"


def test_all_seeds_of_a_table_cell_are_adjacent_so_cells_finish_early():
    configs = grid(plan_experiment(get_experiment("zeta-table6"))).configs
    assert len(configs) == 300
    cells = [(c["dataset"], c["variant"], c["arch"]) for c in configs]
    for i in range(0, 300, 3):
        assert len(set(cells[i : i + 3])) == 1
        assert [c["seed"] for c in configs[i : i + 3]] == [0, 1, 2]


def test_precedence_fixed_then_smoke_then_set():
    demo = get_experiment("demo")
    assert grid(plan_experiment(demo)).configs[0]["epochs"] == 40
    smoke = grid(plan_experiment(demo, smoke=True))
    assert smoke.configs[0]["epochs"] == 2 and smoke.num_trials == 5  # one seed
    assert grid(plan_experiment(demo, smoke=True, sets={"epochs": 5})).configs[0]["epochs"] == 5


def test_smoke_maps_every_arch_to_a_small_model_and_drops_the_duplicates():
    full = grid(plan_experiment(get_experiment("zeta-table5")))
    smoke = grid(plan_experiment(get_experiment("zeta-table5"), smoke=True))
    assert {c["arch"] for c in full.configs} == {"cifar_resnet18", "cifar_resnet50", "cifar_mobilenetv2_100",
                                                 "cifar_efficientnet_b0"}
    assert {c["arch"] for c in smoke.configs} == {"small_cnn"}
    assert smoke.num_trials == 2 * 2  # datasets x methods, one seed, archs collapsed


def test_data_root_becomes_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    configs = grid(plan_experiment(get_experiment("demo"), sets={"data_root": "data"})).configs
    assert configs[0]["data_root"] == str(tmp_path / "data")


@pytest.mark.parametrize("sets, message", [
    ({"nope": 1}, "unknown config key"),
    ({"arch": "resnet9000"}, "valid choices"),
    ({"gamma": -1.0}, "gamma"),
    ({"epochs": 0}, "epochs"),
])
def test_bad_values_are_rejected_before_anything_runs(sets, message):
    with pytest.raises(ValueError, match=message):
        plan_experiment(get_experiment("demo"), sets=sets)


def test_a_set_that_collides_with_a_searched_key_is_rejected():
    with pytest.raises(ValueError, match="weight_decay conflicts with stage 'sweep'"):
        plan_experiment(get_experiment("demo"), sets={"weight_decay": 1e-4})


@pytest.mark.parametrize("name", sorted(EXPERIMENTS))
def test_every_registered_experiment_plans_in_smoke_mode(name):
    plans = plan_experiment(get_experiment(name), smoke=True, artifacts_dir="/tmp/artifacts")
    assert plans and all(p.num_trials >= 1 for p in plans)
    for plan in plans:
        if plan.trainable != "classify":
            continue  # preparatory stages (GeMix's GAN, its sets) have their own smoke keys
        for config in plan.configs or [plan.base]:
            assert config["epochs"] <= 2 and config["subset"] is not None


def test_each_stage_gets_only_its_trainables_keys_and_a_set_reaches_the_stages_that_take_it():
    plans = {p.stage: p for p in plan_experiment(get_experiment("gemix-table1"), smoke=True,
                                                 sets={"lr": 1e-3, "gan_steps": 5}, artifacts_dir="/tmp/a")}
    gan, sets, quality, classify = (plans[s].configs[0] for s in ("gan", "sets", "quality", "classify"))
    assert gan["gan_steps"] == 5 and gan["gan_lr"] == 0.0025 and "lr" not in gan and "epochs" not in gan
    assert not any(k.startswith("gan_") for k in classify) and classify["lr"] == 1e-3
    assert quality["lr"] == 1e-3 and not any(k.startswith(("gan_", "sets_")) for k in quality)
    assert not any(k.startswith(("gan_", "quality_")) for k in sets)
    assert plans["gan"].set_keys == ("gan_steps",) and plans["classify"].set_keys == ("lr",)
    assert plans["quality"].set_keys == ("lr",) and plans["sets"].set_keys == ()


def test_reports_lay_out_the_expansion_the_run_used():
    from orchestrator.report.layout import report_stages

    experiment = get_experiment("zeta-table5")
    (planned,) = plan_experiment(experiment, smoke=True)
    (laid_out,) = report_stages(experiment, smoke=True)
    assert sum(laid_out.expected.values()) == planned.num_trials == 4
    assert laid_out.columns == ["cutmix", "cutmix+zeta"] and [r.label for r in laid_out.rows] == ["cifar10", "cifar100"]


def test_the_plan_as_data_counts_trials_and_trial_epochs():
    from orchestrator.plan.describe import describe

    summary = describe("demo", plan_experiment(get_experiment("demo")), smoke=False, cpus=2, gpus=0.5)
    grid_stage, sweep_stage = summary["stages"]
    assert (grid_stage["trials"], grid_stage["epochs"], grid_stage["trial_epochs"]) == (15, [40], 600)
    assert sweep_stage["kind"] == "bayesian" and set(sweep_stage["space"]) == {"gamma", "weight_decay"}
    assert summary["trials"] == 31 and summary["trial_epochs"] == 31 * 40
    assert grid_stage["resources_per_trial"] == {"cpu": 2, "gpu": 0.5}
    assert grid_stage["varying"]["variant"] == ["erm", "mixup", "zeta-2.4", "zeta-2.8", "zeta-4.0"]


@pytest.mark.parametrize("name", sorted(EXPERIMENTS))
def test_every_search_and_best_choice_selects_on_a_validation_metric(name):
    experiment = get_experiment(name)
    for plan in plan_experiment(experiment, smoke=True, artifacts_dir="/tmp/artifacts"):
        if plan.trainable == "classify":  # the trainables judged on val/test splits
            assert plan.metric.startswith("val_"), (plan.stage, plan.metric)
    assert all(m.startswith("test_") for m in experiment.report_metrics)
