"""Batch mixers: ζ-mixup, mixup, CutMix, MMixup and the ζ paper's Table 8 ablations.

Usage::

    from workloads.mixing import MIXERS, get_mixer
    mixer = get_mixer("zeta", gamma_range=[1.72865, 4.0])   # validates; JSON lists/ints accepted
    x_mix, y_mix = mixer(x, y, generator=g)

- `x`: floating `(N, C, H, W)` (pixel-wise mixers also take any `(N, ...)`), `y`: `(N, K)` class
  probabilities (one-hot or soft; `workloads.losses.one_hot` makes them from integer labels).
  Outputs keep the shapes, x's device and x's dtype; rows of `y_mix` are distributions, mixed by the
  same weights as the pixels. N >= 2.
- Bad input raises `ValueError` naming the parameter and its valid range. Label values (rows >= 0
  summing to 1) are checked on every call on CPU; on an accelerator, where reading the check back
  would stall the host every step, on the first call per mixer and device. Small random draws are
  moved to CUDA from pinned memory, so a mixer adds no host sync there (`mmixup` excepted: it
  reads the present classes back).
- All randomness comes from `generator` (a `torch.Generator`; None uses torch's global CPU
  generator, seeded by `torch.manual_seed`). Small draws happen on the generator's device.
- Mixers are small picklable objects with a readable repr (`get_mixer('zeta', gamma=2.8, ...)`)
  and compare equal when built from the same parameters. They never modify their inputs; `erm`
  returns `x` itself.

| name | parameters (defaults) |
|---|---|
| `erm` | – |
| `mixup` | `alpha=1.0` |
| `zeta` | `gamma=None` (→ 2.8), `gamma_range=None` (e.g. `[1.72865, 4.0]`, γ drawn per batch), `t=None` (whole batch) |
| `cutmix` | `alpha=1.0` |
| `cutmix+zeta` | `alpha=1.0`, `gamma=None`, `gamma_range=None` (CutMix, then ζ: see `cutmix.py`) |
| `mmixup` | `a_dominant=2.0`, `a_other=1.0` |
| `zeta-pair` | `gamma=2.8` (Table 8 row 2) |
| `dirichlet-batch` | `concentration=1.0` (Table 8 row 3) |

Parameter discovery (for the orchestrator's `--set` checks and for picking a mixer's keys out of a
flat trial config): `mixer_params(name)` returns `{parameter: default}` for one mixer and
`MIXER_PARAMS` is the read-only mapping `{name: {parameter: default}}` over all registered mixers.
Passing back any subset of those keys with JSON values is valid input to `get_mixer`; an unknown
key raises `ValueError` listing the accepted ones, an unknown name lists the registered names.
`gamma` and `gamma_range` are exclusive: giving both (non-None) raises `ValueError`.
"""
from workloads.mixing.base import BatchMixer
from workloads.mixing.registry import MIXER_PARAMS, MIXERS, get_mixer, mixer_params

# Importing the modules registers their mixers, in the order of the table above.
from workloads.mixing import erm, mixup, zeta, cutmix, mmixup, ablations  # noqa: E402,F401  isort:skip

__all__ = ["MIXERS", "MIXER_PARAMS", "BatchMixer", "get_mixer", "mixer_params"]
