"""Tests of workloads.mixing: the contract of every registered mixer, the ζ theorems, label/pixel
consistency, the samplers, validation, and hypothesis properties."""
from __future__ import annotations

import math
import pickle

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from workloads.losses import one_hot
from workloads.mixing import MIXER_PARAMS, MIXERS, get_mixer, mixer_params
from workloads.mixing.sampling import log_gamma_variates, pivot_dirichlet, sample_beta, sample_dirichlet
from workloads.mixing.zeta import GAMMA_MIN, grouped_zeta_weights, zeta_weights

NAMES = list(MIXERS)
PIXELWISE = [n for n in NAMES if n not in ("cutmix", "cutmix+zeta")]
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
ROW_TOL = {torch.float32: 1e-5, torch.float64: 1e-12, torch.bfloat16: 2e-2}


def gen(seed: int, device: str = "cpu") -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)


def batch(n=8, k=3, shape=(3, 8, 8), dtype=torch.float32, device="cpu", seed=0):
    g = gen(seed)
    x = torch.rand(n, *shape, generator=g).to(device=device, dtype=dtype)
    y = one_hot(torch.randint(k, (n,), generator=g), k).to(device)
    return x, y


def read_weights(name: str, n: int = 6, seed: int = 0, hw: int = 8, **params) -> tuple:
    """Feed basis-vector images (image k = e_k in channel space) and one-hot labels y = I.

    Returns (pixel weights (N, N, H, W), label weights (N, N)) in float64."""
    x = torch.eye(n, dtype=torch.float64)[:, :, None, None].expand(n, n, hw, hw).contiguous()
    y = torch.eye(n, dtype=torch.float64)
    x_mix, y_mix = get_mixer(name, **params)(x, y, generator=gen(seed))
    return x_mix, y_mix


# --- registry ---------------------------------------------------------------------------------

def test_registry_holds_the_issue_names():
    assert NAMES == [
        "erm", "mixup", "zeta", "cutmix", "cutmix+zeta", "mmixup", "zeta-pair", "dirichlet-batch"
    ]
    assert set(MIXER_PARAMS) == set(NAMES)
    assert MIXER_PARAMS["zeta"] == {"gamma": None, "gamma_range": None, "t": None}
    assert mixer_params("mmixup") == {"a_dominant": 2.0, "a_other": 1.0}
    assert mixer_params("erm") == {}


def test_unknown_name_lists_registered_names():
    with pytest.raises(ValueError, match="valid choices: erm, mixup, zeta"):
        get_mixer("manifold-mixup")
    with pytest.raises(ValueError, match="valid choices"):
        mixer_params("nope")


def test_unknown_parameter_lists_accepted_ones():
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) lam; accepted: gamma, gamma_range, t"):
        get_mixer("zeta", lam=0.3)
    with pytest.raises(ValueError, match="accepted: none"):
        get_mixer("erm", alpha=1.0)


@pytest.mark.parametrize("name", NAMES)
def test_defaults_round_trip_repr_and_pickle(name):
    mixer = get_mixer(name, **mixer_params(name))
    assert mixer == get_mixer(name)
    assert eval(repr(mixer), {"get_mixer": get_mixer}) == mixer
    clone = pickle.loads(pickle.dumps(mixer))
    assert clone == mixer and repr(clone) == repr(mixer)
    x, y = batch()
    a, b = mixer(x, y, generator=gen(3)), clone(x, y, generator=gen(3))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_json_values_are_normalised():
    m = get_mixer("zeta", gamma_range=[2, 4], t=4.0)
    assert m.params == {"gamma": None, "gamma_range": (2.0, 4.0), "t": 4}
    assert get_mixer("mixup", alpha=1).params == {"alpha": 1.0}
    assert isinstance(get_mixer("zeta-pair", gamma=3).params["gamma"], float)


# --- the call contract, for every mixer -------------------------------------------------------

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
@pytest.mark.parametrize("name", NAMES)
def test_shapes_device_dtype_and_label_rows(name, dtype, device):
    x, y = batch(n=10, k=4, dtype=dtype, device=device)
    x0, y0 = x.clone(), y.clone()
    x_mix, y_mix = get_mixer(name)(x, y, generator=gen(1))
    assert x_mix.shape == x.shape and y_mix.shape == y.shape
    assert x_mix.dtype == dtype and y_mix.dtype == dtype
    assert x_mix.device == x.device and y_mix.device == x.device
    assert bool((y_mix >= 0).all())
    row_err = (y_mix.double().sum(dim=1) - 1).abs().max().item()
    assert row_err <= ROW_TOL[dtype]
    assert torch.equal(x, x0) and torch.equal(y, y0), "a mixer modified its inputs"


@pytest.mark.parametrize("name", NAMES)
def test_seed_reproducibility(name):
    x, y = batch(n=16)
    mixer = get_mixer(name)
    a = mixer(x, y, generator=gen(7))
    b = mixer(x, y, generator=gen(7))
    c = mixer(x, y, generator=gen(8))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    if name == "erm":
        assert torch.equal(c[0], x) and torch.equal(c[1], y)
    else:
        assert not torch.equal(a[0], c[0])


@pytest.mark.parametrize("name", ["mixup", "zeta"])
def test_none_generator_uses_the_global_seed(name):
    x, y = batch()
    torch.manual_seed(123)
    a = get_mixer(name)(x, y)
    torch.manual_seed(123)
    b = get_mixer(name)(x, y)
    c = get_mixer(name)(x, y)
    assert torch.equal(a[0], b[0]) and not torch.equal(b[0], c[0])


@pytest.mark.parametrize("name", NAMES)
def test_pixels_and_labels_mixed_by_the_same_weights(name):
    x_mix, y_mix = read_weights(name, n=7, seed=5)
    # Channel c of output k is the share of input c in that pixel; its image mean is the area share.
    assert torch.allclose(x_mix.mean(dim=(2, 3)), y_mix, atol=1e-12)
    if name in PIXELWISE:
        assert torch.allclose(x_mix, y_mix[:, :, None, None].expand_as(x_mix), atol=1e-12)


# --- ζ-mixup weights and the paper's theorems -------------------------------------------------

def p_series(n: int, gamma: float) -> torch.Tensor:
    t = torch.arange(1, n + 1, dtype=torch.float64).pow(-gamma)
    return t / t.sum()


@pytest.mark.parametrize("n", [1, 2, 5, 32])
def test_zeta_weights_structure(n):
    w = zeta_weights(n, 2.4, generator=gen(0), dtype=torch.float64)
    terms = p_series(n, 2.4)
    assert w.shape == (n, n)
    assert torch.allclose(w.sum(dim=1), torch.ones(n, dtype=torch.float64))
    assert torch.equal(w.argmax(dim=1), torch.arange(n))
    assert torch.allclose(w.diagonal(), terms[0].expand(n))
    for k in range(n):
        others = torch.cat([w[k, :k], w[k, k + 1 :]])
        assert torch.allclose(others.sort(descending=True).values, terms[1:])


def test_zeta_weights_off_diagonal_order_is_uniformly_random():
    n, draws = 5, 4000
    g = gen(11)
    hits = torch.zeros(n, n)
    second = p_series(n, 2.8)[1].item()
    for _ in range(draws // 50):
        for _ in range(50):
            w = zeta_weights(n, 2.8, generator=g, dtype=torch.float64)
            hits += (w - second).abs() < 1e-12
    freq = hits / draws  # where the 2nd-largest term lands: each off-diagonal column w.p. 1/(n-1)
    off = ~torch.eye(n, dtype=torch.bool)
    assert torch.all((freq[off] - 1 / (n - 1)).abs() < 0.04)
    assert torch.all(freq.diagonal() == 0)


def test_zeta_weights_dtype_device_and_generator():
    w = zeta_weights(4, 2.8, generator=gen(1), dtype=torch.bfloat16, device="cpu")
    assert w.dtype == torch.bfloat16 and w.device.type == "cpu"
    assert torch.equal(zeta_weights(9, 3.0, generator=gen(2)), zeta_weights(9, 3.0, generator=gen(2)))
    assert not torch.equal(zeta_weights(9, 3.0, generator=gen(2)), zeta_weights(9, 3.0, generator=gen(3)))
    with pytest.raises(ValueError, match="gamma"):
        zeta_weights(4, 0.0)
    with pytest.raises(ValueError, match="n must be"):
        zeta_weights(0, 2.8)


@pytest.mark.parametrize("gamma", [GAMMA_MIN, 1.8, 2.4, 2.8, 4.0, 8.0])
def test_theorem_1_dominant_weight_exceeds_the_rest(gamma):
    for n in [2, 3, 4, 8, 16, 31, 64, 100, 128, 255, 256, 400, 511, 512]:
        w = zeta_weights(n, gamma, generator=gen(n), dtype=torch.float64)
        dominant = w.diagonal()
        assert bool((dominant > w.sum(dim=1) - dominant).all()), (gamma, n)


def test_theorem_1_fails_below_gamma_min():
    w = zeta_weights(512, 1.5, generator=gen(0), dtype=torch.float64)
    dominant = w.diagonal()
    assert bool((dominant < w.sum(dim=1) - dominant).all())


@pytest.mark.parametrize("lam", [0.55, 0.7, 0.9, 0.99])
def test_theorem_2_pairs_are_mixup(lam):
    gamma = math.log2(lam / (1 - lam))
    w = zeta_weights(2, gamma, generator=gen(0), dtype=torch.float64)
    expect = torch.tensor([[lam, 1 - lam], [1 - lam, lam]], dtype=torch.float64)
    assert torch.allclose(w, expect, atol=1e-12)
    # zeta-pair with that γ is mixup with weight λ and the same partner permutation.
    x, y = batch(n=12, dtype=torch.float64)
    y = y.double()
    x_mix, y_mix = get_mixer("zeta-pair", gamma=gamma)(x, y, generator=gen(4))
    perm = torch.randperm(12, generator=gen(4))
    assert torch.allclose(x_mix, lam * x + (1 - lam) * x[perm], atol=1e-12)
    assert torch.allclose(y_mix, lam * y + (1 - lam) * y[perm], atol=1e-12)
    # ζ-mixup itself with T = 2 on a batch of 2 is that same mix.
    x2, y2 = x[:2], y[:2]
    z, _ = get_mixer("zeta", gamma=gamma)(x2, y2, generator=gen(1))
    assert torch.allclose(z, torch.stack([lam * x2[0] + (1 - lam) * x2[1],
                                          lam * x2[1] + (1 - lam) * x2[0]]), atol=1e-12)


@pytest.mark.parametrize("n,t,sizes", [(12, 4, [4, 4, 4]), (11, 4, [4, 4, 3]), (9, 4, [4, 5]),
                                       (8, 8, [8]), (7, 2, [2, 2, 3])])
def test_zeta_groups_and_remainder(n, t, sizes):
    w = grouped_zeta_weights(n, t, 2.8, gen(n + t), torch.device("cpu"))
    assert torch.allclose(w.sum(dim=1), torch.ones(n, dtype=torch.float64))
    support = w > 0
    assert torch.equal(support, support.T)  # groups mix among themselves
    expected_rows = sorted(s for s in sizes for _ in range(s))  # a group of s gives s rows of s
    assert sorted(support.sum(dim=1).tolist()) == expected_rows
    assert torch.equal(w.argmax(dim=1), torch.arange(n))
    # Through the mixer the same structure comes back out of the pixels.
    x_mix, y_mix = read_weights("zeta", n=n, seed=3, t=t)
    assert sorted((y_mix > 0).sum(dim=1).tolist()) == expected_rows


def test_zeta_gamma_range_is_drawn_per_batch():
    low, high = 2.0, 4.0
    dominants = set()
    for seed in range(6):
        _, y_mix = read_weights("zeta", n=6, seed=seed, gamma_range=[low, high])
        d = y_mix.diagonal()
        assert torch.allclose(d, d[0].expand(6))
        assert p_series(6, low)[0] - 1e-12 <= d[0] <= p_series(6, high)[0] + 1e-12
        dominants.add(round(d[0].item(), 9))
    assert len(dominants) == 6


# --- mixup, CutMix, MMixup, Dirichlet --------------------------------------------------------

def test_mixup_lambda_is_beta_alpha_alpha():
    alpha, lams = 0.4, []
    for seed in range(400):
        _, y_mix = read_weights("mixup", n=4, seed=seed, hw=1, alpha=alpha)
        row = y_mix[0]
        lams.append(row.max().item() if (row > 0).sum() == 2 else None)
    lam = torch.tensor([v for v in lams if v is not None], dtype=torch.float64)
    # max(λ, 1-λ) for λ ~ Beta(.4,.4) has mean 0.5 + E|λ-0.5|; compare with a large direct sample.
    ref = sample_beta(alpha, alpha, gen(99), size=200_000)
    assert abs(lam.mean().item() - torch.maximum(ref, 1 - ref).mean().item()) < 0.03


def test_cutmix_label_weights_equal_pasted_areas():
    n, h, w = 6, 20, 30
    for seed in range(20):
        x = torch.arange(n, dtype=torch.float64)[:, None, None, None].expand(n, 1, h, w).contiguous()
        y = torch.eye(n, dtype=torch.float64)
        x_mix, y_mix = get_mixer("cutmix", alpha=1.0)(x, y, generator=gen(seed))
        for k in range(n):
            values, counts = x_mix[k, 0].unique(return_counts=True)
            area = torch.zeros(n, dtype=torch.float64)
            area[values.long()] = counts.double() / (h * w)
            assert torch.allclose(y_mix[k], area, atol=1e-12)
        # One rectangular box for the whole batch.
        pasted = x_mix[:, 0] != x[:, 0]
        if pasted.any():
            box = pasted.any(dim=0)
            rows, cols = box.any(dim=1).nonzero(), box.any(dim=0).nonzero()
            assert int(box.sum()) == len(rows) * len(cols)


def test_cutmix_zeta_is_zeta_over_cutmix_outputs():
    x, y = batch(n=8, dtype=torch.float64)
    g1 = gen(5)
    from workloads.mixing.cutmix import cutmix_batch
    from workloads.mixing.zeta import draw_gamma, zeta_batch_weights
    x_c, y_c = cutmix_batch(x, y, 1.0, g1)
    w = zeta_batch_weights(8, draw_gamma(2.8, None, g1), None, g1)
    x_mix, y_mix = get_mixer("cutmix+zeta")(x, y, generator=gen(5))
    assert torch.allclose(x_mix, (w @ x_c.view(8, -1)).view_as(x))
    assert torch.allclose(y_mix, w @ y_c)


def test_mmixup_one_image_per_present_class():
    labels = torch.tensor([0, 0, 0, 2, 2, 4, 4, 4, 4, 2])
    n = len(labels)
    y = one_hot(labels, 6, dtype=torch.float64)
    x = torch.eye(n, dtype=torch.float64)[:, :, None, None]
    for seed in range(10):
        x_mix, y_mix = get_mixer("mmixup")(x, y, generator=gen(seed))
        w = x_mix[:, :, 0, 0]
        for k in range(n):
            src = w[k].nonzero().flatten()
            assert sorted(labels[src].tolist()) == [0, 2, 4]
        assert torch.allclose(y_mix[:, [1, 3, 5]], torch.zeros(n, 3, dtype=torch.float64))
        assert bool((y_mix[:, [0, 2, 4]] > 0).all())


def test_mmixup_dirichlet_weights_and_pivot():
    labels = torch.arange(64) % 4
    y = one_hot(labels, 4, dtype=torch.float64)
    x = torch.zeros(64, 1, 1, 1, dtype=torch.float64)
    # a_dominant >> a_other: nearly all weight on the pivot, which is uniform over the 4 classes.
    _, y_mix = get_mixer("mmixup", a_dominant=200.0, a_other=0.05)(x, y, generator=gen(0))
    assert bool((y_mix.max(dim=1).values > 0.9).all())
    counts = torch.bincount(y_mix.argmax(dim=1), minlength=4)
    assert counts.min() >= 6
    # Dirichlet(2 at pivot, 1 else) over 4 classes: mean pivot weight 2/5, mean total per row 1.
    means = []
    for seed in range(30):
        _, y_mix = get_mixer("mmixup")(x, y, generator=gen(seed))
        means.append(y_mix.max(dim=1).values.mean())
    assert 0.4 < torch.stack(means).mean().item() < 0.65


def test_dirichlet_batch_weights():
    _, y_mix = read_weights("dirichlet-batch", n=32, seed=0, hw=1)
    assert bool((y_mix > 0).all())
    assert abs(y_mix.mean().item() - 1 / 32) < 1e-12
    assert abs(y_mix.var().item() - (1 / 32) * (31 / 32) / 33) < 3e-4  # Dirichlet(1) variance


# --- samplers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("a", [0.05, 0.4, 1.0, 2.5, 30.0])
def test_gamma_sampler_moments(a):
    logs = log_gamma_variates(torch.full((100_000,), a), gen(1))
    assert torch.isfinite(logs).all()
    g = logs.exp()
    assert abs(g.mean().item() - a) < 0.03 * max(a, 1.0)
    assert abs(g.var().item() - a) < 0.08 * max(a, 1.0)


def test_beta_and_dirichlet_samplers():
    b = sample_beta(0.4, 0.4, gen(2), size=100_000)
    assert abs(b.mean().item() - 0.5) < 0.01
    assert abs(b.var().item() - 1 / (4 * 1.8)) < 0.01
    tiny = sample_beta(0.01, 0.01, gen(3), size=1000)
    assert torch.isfinite(tiny).all() and bool(((tiny >= 0) & (tiny <= 1)).all())
    d = sample_dirichlet(torch.tensor([2.0, 1.0, 1.0]).expand(50_000, 3), gen(4))
    assert torch.allclose(d.sum(dim=1), torch.ones(50_000, dtype=torch.float64))
    assert torch.allclose(d.mean(dim=0), torch.tensor([0.5, 0.25, 0.25], dtype=torch.float64), atol=0.01)
    assert torch.equal(sample_beta(1.0, 1.0, gen(5), 10), sample_beta(1.0, 1.0, gen(5), 10))


def test_pivot_dirichlet_is_dominant_at_a_uniform_pivot():
    n, k = 40_000, 4
    pivot, w = pivot_dirichlet(n, k, 3.0, 0.5, gen(6))
    assert pivot.dtype == torch.int64 and w.dtype == torch.float64 and w.shape == (n, k)
    assert torch.allclose(w.sum(dim=1), torch.ones(n, dtype=torch.float64))
    assert torch.allclose(torch.bincount(pivot, minlength=k) / n, torch.full((k,), 1 / k), atol=0.01)
    # Dirichlet(3 at the pivot, 0.5 at the 3 others): mean pivot weight 3 / 4.5.
    at_pivot = w[torch.arange(n), pivot]
    assert abs(at_pivot.mean().item() - 3 / 4.5) < 0.01
    assert abs((w.sum(1) - at_pivot).mean().item() / (k - 1) - 0.5 / 4.5) < 0.01
    again = pivot_dirichlet(n, k, 3.0, 0.5, gen(6))
    assert torch.equal(pivot, again[0]) and torch.equal(w, again[1])
    assert not torch.equal(w, pivot_dirichlet(n, k, 3.0, 0.5, gen(7))[1])


def test_gemix_labels_are_the_shared_pivot_dirichlet():
    from workloads.gan.sample import dirichlet_soft_labels

    c, labels = dirichlet_soft_labels(50, 3, a_dominant=2.0, a_other=1.0, generator=gen(8))
    pivot, w = pivot_dirichlet(50, 3, 2.0, 1.0, gen(8))
    assert torch.equal(c, pivot) and torch.equal(labels, w.float())


# --- validation -------------------------------------------------------------------------------

@pytest.mark.parametrize("name,params,match", [
    ("zeta", {"gamma": 0}, "gamma must be"),
    ("zeta", {"gamma": -1.0}, "gamma must be"),
    ("zeta", {"gamma": float("nan")}, "gamma must be"),
    ("zeta", {"gamma": True}, "gamma must be"),
    ("zeta", {"gamma": "2.8"}, "gamma must be"),
    ("zeta", {"gamma": 2.8, "gamma_range": [2, 3]}, "not both"),
    ("zeta", {"gamma_range": [3, 2]}, "low <= high"),
    ("zeta", {"gamma_range": [0, 2]}, r"gamma_range\[0\]"),
    ("zeta", {"gamma_range": 2.0}, "gamma_range must be a pair"),
    ("zeta", {"t": 1}, "t must be"),
    ("zeta", {"t": 2.5}, "t must be"),
    ("zeta-pair", {"gamma": 0.0}, "gamma must be"),
    ("mixup", {"alpha": 0}, "alpha must be"),
    ("cutmix", {"alpha": -0.5}, "alpha must be"),
    ("cutmix+zeta", {"alpha": 0.0}, "alpha must be"),
    ("cutmix+zeta", {"gamma": -2.0}, "gamma must be"),
    ("mmixup", {"a_dominant": 0}, "a_dominant must be"),
    ("mmixup", {"a_other": float("inf")}, "a_other must be"),
    ("dirichlet-batch", {"concentration": 0}, "concentration must be"),
])
def test_bad_parameters(name, params, match):
    with pytest.raises(ValueError, match=match):
        get_mixer(name, **params)


def test_t_larger_than_batch():
    x, y = batch(n=4)
    with pytest.raises(ValueError, match="t must be between 2 and the batch size N=4"):
        get_mixer("zeta", t=5)(x, y, generator=gen(0))
    get_mixer("zeta", t=4)(x, y, generator=gen(0))


@pytest.mark.parametrize("name", NAMES)
def test_bad_batches(name):
    mixer = get_mixer(name)
    x, y = batch(n=4, k=3)
    with pytest.raises(ValueError, match="batch of 1"):
        mixer(x[:1], y[:1])
    with pytest.raises(ValueError, match="y has 3 rows but x has N=4"):
        mixer(x, y[:3])
    with pytest.raises(ValueError, match="x must be a floating tensor"):
        mixer((x * 255).to(torch.uint8), y)
    for bad in (y * 2, y - 0.5 * one_hot(torch.tensor([0, 1, 2, 0]), 3), y * float("nan")):
        with pytest.raises(ValueError, match="y rows must be probability distributions"):
            mixer(x, bad)
    with pytest.raises(ValueError, match="at least one class column"):
        mixer(x, y[:, :0])
    with pytest.raises(ValueError, match=r"y must be \(N, K\)"):
        mixer(x, y.argmax(dim=1))
    with pytest.raises(ValueError, match="generator must be"):
        mixer(x, y, generator=0)


def test_value_check_can_be_skipped_but_shapes_never_are():
    from workloads.mixing.validation import check_batch

    x, y = batch(n=4, k=3)
    assert torch.equal(check_batch(x, y * 2, values=False), y * 2)
    with pytest.raises(ValueError, match="y rows must be probability distributions"):
        check_batch(x, y * 2)
    with pytest.raises(ValueError, match="y has 3 rows"):
        check_batch(x, y[:3], values=False)


def test_cutmix_needs_images_and_pixelwise_mixers_take_vectors():
    x, y = torch.rand(6, 5, dtype=torch.float64), one_hot(torch.arange(6) % 2, 2, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"x must have shape \(N, C, H, W\)"):
        get_mixer("cutmix")(x, y)
    x_mix, y_mix = get_mixer("zeta")(x, y, generator=gen(0))
    assert x_mix.shape == (6, 5) and torch.allclose(y_mix.sum(dim=1), torch.ones(6, dtype=torch.float64))


# --- properties -------------------------------------------------------------------------------

PARAMS = {
    "erm": st.just({}),
    "mixup": st.builds(dict, alpha=st.floats(0.05, 5.0)),
    "zeta": st.one_of(
        st.builds(dict, gamma=st.floats(0.5, 8.0)),
        st.builds(dict, gamma_range=st.tuples(st.floats(1.0, 2.0), st.floats(2.0, 6.0)).map(list)),
    ),
    "cutmix": st.builds(dict, alpha=st.floats(0.05, 5.0)),
    "cutmix+zeta": st.builds(dict, alpha=st.floats(0.1, 5.0), gamma=st.floats(1.0, 6.0)),
    "mmixup": st.builds(dict, a_dominant=st.floats(0.1, 10.0), a_other=st.floats(0.1, 10.0)),
    "zeta-pair": st.builds(dict, gamma=st.floats(0.1, 10.0)),
    "dirichlet-batch": st.builds(dict, concentration=st.floats(0.05, 5.0)),
}


@settings(max_examples=120, deadline=None)
@given(data=st.data(), name=st.sampled_from(NAMES), n=st.integers(2, 12), k=st.integers(1, 5),
       c=st.integers(1, 3), h=st.integers(1, 9), w=st.integers(1, 9), seed=st.integers(0, 2**31))
def test_property_convexity(data, name, n, k, c, h, w, seed):
    params = data.draw(PARAMS[name])
    if name == "zeta" and "gamma" in params:
        params["t"] = data.draw(st.one_of(st.none(), st.integers(2, n)))
    g = gen(seed)
    x = torch.randn(n, c, h, w, generator=g, dtype=torch.float64)
    y = torch.softmax(torch.randn(n, k, generator=g, dtype=torch.float64) * 3, dim=1)
    x_mix, y_mix = get_mixer(name, **params)(x, y, generator=gen(seed))
    assert x_mix.shape == x.shape and y_mix.shape == y.shape
    # Every mixer is a per-pixel convex combination of the batch: outputs stay inside the hull.
    assert bool((x_mix >= x.min(dim=0).values - 1e-9).all())
    assert bool((x_mix <= x.max(dim=0).values + 1e-9).all())
    assert bool((y_mix >= -1e-12).all())
    assert torch.allclose(y_mix.sum(dim=1), torch.ones(n, dtype=torch.float64), atol=1e-9)
