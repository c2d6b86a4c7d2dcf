"""The shared method columns of the results tables: one `Method` per label, used by every experiment.

A label is the stable ASCII key of a column: reports print it, Parquet stores it as `variant`, and the
published numbers (`search_spaces.published`) are keyed by it. `method` is the mixer's registry name
in `workloads.mixing` (a string: `search_spaces` imports nothing of `workloads`); `params` are that
mixer's parameters (and, for manifold mixup, its epoch factor) as JSON values (lists, never tuples, so a config survives a JSON round trip
unchanged).

Fixed-γ ζ-mixup columns are labelled ``zeta-<γ with one decimal>``: the paper's three (2.4, 2.8, 4.0)
are constants here, any other (Fig. 10's 1.8 ... 5.0) comes from `zeta(gamma)`.
"""
from __future__ import annotations

import math

from search_spaces.experiment import GAMMA_MIN, Method

ERM = Method("erm", "erm")
# alpha = 1 (lambda ~ U[0, 1]) as in the mixup paper and throughout the zeta paper
MIXUP = Method("mixup", "mixup", {"alpha": 1.0})
ZETA_24 = Method("zeta-2.4", "zeta", {"gamma": 2.4})
ZETA_28 = Method("zeta-2.8", "zeta", {"gamma": 2.8})
ZETA_40 = Method("zeta-4.0", "zeta", {"gamma": 4.0})
# Table 5: a new gamma per mini-batch from U[gamma_min, 4.0]
ZETA_RANDOM = Method("zeta-random", "zeta", {"gamma_range": [GAMMA_MIN, 4.0]})
CUTMIX = Method("cutmix", "cutmix", {"alpha": 1.0})
CUTMIX_ZETA = Method("cutmix+zeta", "cutmix+zeta", {"alpha": 1.0, "gamma_range": [GAMMA_MIN, 4.0]})
# Table 8 ablations (both at the ablation's gamma = 2.8 / mixup's Beta(1, 1) generalisation)
ZETA_PAIR = Method("zeta-pair", "zeta-pair", {"gamma": 2.8})
DIRICHLET_BATCH = Method("dirichlet-batch", "dirichlet-batch", {"concentration": 1.0})
# Fig. 9: alpha = 2.0 as in Verma et al.'s settings, which the zeta paper says it follows, and
# "each manifold mixup model is trained for 10x the number of epochs": `epochs_factor` multiplies the
# recipe's epochs and lr milestones (the paper scales both), a trainable key; --set it to change it.
MANIFOLD_EPOCHS_FACTOR = 10
MANIFOLD_MIXUP = Method("manifold-mixup", "manifold-mixup",
                        {"alpha": 2.0, "epochs_factor": MANIFOLD_EPOCHS_FACTOR})
# GeMix's multi-image mixup: Dirichlet(2 at a random pivot class, 1 elsewhere)
MMIXUP = Method("mmixup", "mmixup", {"a_dominant": 2.0, "a_other": 1.0})
# Fig. 10 c/d: gamma (and weight decay) come from the Bayesian search space, not from here
ZETA_SWEEP = Method("zeta-sweep", "zeta")

_ZETA_PREFIX = "zeta-"
_FIXED_ZETA = {m.params["gamma"]: m for m in (ZETA_24, ZETA_28, ZETA_40)}


def _build(methods: tuple[Method, ...]) -> dict[str, Method]:
    table: dict[str, Method] = {}
    for m in methods:
        if m.label in table:
            raise ValueError(f"method label {m.label!r} is defined twice")
        if not m.label.isascii() or " " in m.label:
            raise ValueError(f"method label {m.label!r} must be ASCII without spaces")
        table[m.label] = m
    return table


METHODS: dict[str, Method] = _build(
    (ERM, MIXUP, ZETA_24, ZETA_28, ZETA_40, ZETA_RANDOM, CUTMIX, CUTMIX_ZETA, ZETA_PAIR,
     DIRICHLET_BATCH, MANIFOLD_MIXUP, MMIXUP, ZETA_SWEEP)
)


def zeta_label(gamma: float) -> str:
    """The column label of ζ-mixup at a fixed γ: one decimal ("zeta-2.0"), more only if needed."""
    text = f"{gamma:.1f}"
    if float(text) != gamma:
        text = repr(float(gamma))
    return _ZETA_PREFIX + text


def zeta(gamma: float) -> Method:
    """ζ-mixup at a fixed γ > 0 (mixing the whole batch); the shared constant for 2.4, 2.8 and 4.0.

    Raises ValueError for a γ that is not a finite number > 0.
    """
    if isinstance(gamma, bool) or not isinstance(gamma, (int, float)) or not math.isfinite(gamma) \
            or gamma <= 0:
        raise ValueError(f"gamma must be a finite number > 0, got {gamma!r}")
    gamma = float(gamma)
    if gamma in _FIXED_ZETA:
        return _FIXED_ZETA[gamma]
    return Method(zeta_label(gamma), "zeta", {"gamma": gamma})


def get(label: str) -> Method:
    """The method of a column label: a shared one, or ``zeta-<γ>`` for ζ-mixup at any fixed γ.

    Raises ValueError naming the valid labels for anything else.
    """
    if label in METHODS:
        return METHODS[label]
    if label.startswith(_ZETA_PREFIX):
        try:
            gamma = float(label[len(_ZETA_PREFIX):])
        except ValueError:
            gamma = math.nan
        if math.isfinite(gamma) and gamma > 0 and zeta_label(gamma) == label:
            return zeta(gamma)
    raise ValueError(
        f"unknown method label {label!r}; valid choices: {', '.join(METHODS)}, "
        f"or zeta-<gamma> for a fixed gamma > 0 (e.g. zeta-1.8)"
    )
