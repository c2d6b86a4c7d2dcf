"""Manifold mixup: the hook mixes exactly layer k's output, labels share lam and perm, draws are seeded."""
from __future__ import annotations

from typing import Callable

import pytest
import torch
from torch import nn

from workloads.manifold import TRAINER_METHODS, ManifoldDraw, ManifoldMixup, get_trainer_method, mix_rows
from workloads.mixing import MIXERS
from workloads.models import build_model, manifold_layers

N, K = 6, 3


def manual_stages(arch: str, model: nn.Module) -> list[Callable[[torch.Tensor], torch.Tensor]]:
    """The forward pass of `model` cut at its mixable layers: stage i maps h_i to h_{i+1}, the last
    stage ends in logits. Written out by hand, independently of the hook."""
    m = model
    if arch == "resnet18":
        return [
            lambda x: m.layer1(m.maxpool(m.act1(m.bn1(m.conv1(x))))),
            m.layer2,
            lambda h: m.forward_head(m.layer4(m.layer3(h))),
        ]
    if arch in ("cifar_resnet18", "cifar_resnet50"):
        return [
            lambda x: m.layer1(torch.relu(m.bn1(m.conv1(x)))),
            m.layer2,
            lambda h: m.linear(m.layer4(m.layer3(h)).mean((2, 3))),
        ]
    if arch == "cifar_preact_resnet18":  # Verma et al.'s forward: conv1, layer1 | layer2 | layer3, layer4, pool
        return [
            lambda x: m.layer1(m.conv1(x)),
            m.layer2,
            lambda h: m.linear(m.layer4(m.layer3(h)).mean((2, 3))),
        ]
    if arch in ("cifar_mobilenetv2_100", "cifar_efficientnet_b0"):
        last = len(m.blocks) - 1
        return [
            lambda x: m.blocks[0](m.bn1(m.conv_stem(x))),
            *(m.blocks[i] for i in range(1, last + 1)),
            lambda h: m.classifier(m.bn2(m.conv_head(h)).mean((2, 3))),
        ]
    seq = model.features if arch == "small_cnn" else model
    cuts = [i + 1 for i, mod in enumerate(seq) if isinstance(mod, nn.ReLU)]
    bounds = [0, *cuts, len(seq)]
    stages = [seq[a:b] for a, b in zip(bounds, bounds[1:])]
    if arch == "small_cnn":
        last = stages[-1]
        stages[-1] = lambda h: model.head(last(h))
    return stages


def arch_input(arch: str) -> tuple[nn.Module, torch.Tensor]:
    torch.manual_seed(0)
    if arch == "mlp":
        return build_model(arch, 5, K, (1, 1)), torch.randn(N, 5, 1, 1)
    return build_model(arch, 2, K, (16, 16)), torch.randn(N, 2, 16, 16)


def soft_labels(seed: int = 0) -> torch.Tensor:
    return torch.softmax(torch.randn(N, K, generator=torch.Generator().manual_seed(seed)), 1)


@pytest.mark.parametrize(("arch", "num_layers"), [
    ("small_cnn", 3), ("mlp", 2), ("resnet18", 2), ("cifar_resnet18", 2), ("cifar_resnet50", 2),
    ("cifar_preact_resnet18", 2), ("cifar_mobilenetv2_100", 7), ("cifar_efficientnet_b0", 7),
])
def test_mixing_at_layer_k_equals_the_manual_forward_with_the_mixed_hidden_state(arch: str, num_layers: int) -> None:
    model, x = arch_input(arch)
    model.eval()
    layers = manifold_layers(arch, model)
    assert len(layers) == num_layers
    stages = manual_stages(arch, model)
    assert len(stages) == num_layers + 1
    perm = torch.tensor([3, 0, 5, 1, 2, 4])
    lam = 0.3
    y = soft_labels()
    with torch.no_grad():
        plain = model(x)
        scale = float(plain.abs().max())  # timm's EfficientNet starts with logits of order 1e-5
        for k in range(num_layers + 1):
            logits, y_mix = ManifoldMixup().forward(model, layers, x, y, ManifoldDraw(k, lam, perm))
            h = x
            for i, stage in enumerate(stages):
                if i == k:
                    h = lam * h + (1 - lam) * h[perm]
                h = stage(h)
            # float32 sums in another order (global pooling as a mean) differ in the last bits only
            torch.testing.assert_close(logits, h, rtol=1e-5, atol=1e-5 * scale)
            assert float((logits - plain).abs().max()) > 1e-2 * scale, f"layer {k} was not mixed"
            torch.testing.assert_close(y_mix, lam * y + (1 - lam) * y[perm])
    for layer in layers:
        assert not layer._forward_hooks  # every hook removed again


def test_labels_are_mixed_with_the_drawn_lambda_and_partner() -> None:
    model, x = arch_input("small_cnn")
    layers = manifold_layers("small_cnn", model)
    y = soft_labels(1)
    mm = ManifoldMixup(alpha=2.0)
    seen_layers = set()
    for seed in range(12):
        draw = mm.draw(N, len(layers), torch.Generator().manual_seed(seed))
        seen_layers.add(draw.layer)
        assert 0.0 < draw.lam < 1.0
        assert sorted(draw.perm.tolist()) == list(range(N))
        with torch.no_grad():
            logits, y_mix = mm(model, layers, x, y, generator=torch.Generator().manual_seed(seed))
            want_logits, _ = mm.forward(model, layers, x, y, draw)
        torch.testing.assert_close(y_mix, draw.lam * y + (1 - draw.lam) * y[draw.perm])
        torch.testing.assert_close(y_mix.sum(1), torch.ones(N))
        torch.testing.assert_close(logits, want_logits, rtol=0, atol=0)
    assert seen_layers == {0, 1, 2, 3}  # k ranges over the input and every block


def test_preact_resnet18_mixes_at_verma_et_al_s_k_0_1_2() -> None:
    # Verma et al.: k = randint(0, 2) -- the input, after layer1, after layer2; never deeper
    model, x = arch_input("cifar_preact_resnet18")
    layers = manifold_layers("cifar_preact_resnet18", model)
    assert layers == [model.layer1, model.layer2]
    mm = ManifoldMixup(alpha=2.0)
    assert {mm.draw(N, len(layers), torch.Generator().manual_seed(s)).layer for s in range(40)} == {0, 1, 2}


def test_draws_come_only_from_the_generator() -> None:
    mm = ManifoldMixup(alpha=0.5)
    torch.manual_seed(1)
    a = mm.draw(8, 3, torch.Generator().manual_seed(7))
    torch.manual_seed(2)
    b = mm.draw(8, 3, torch.Generator().manual_seed(7))
    c = mm.draw(8, 3, torch.Generator().manual_seed(8))
    assert (a.layer, a.lam) == (b.layer, b.lam) and torch.equal(a.perm, b.perm)
    assert (a.layer, a.lam, a.perm.tolist()) != (c.layer, c.lam, c.perm.tolist())


def test_gradients_flow_through_the_mixed_layer() -> None:
    model, x = arch_input("small_cnn")
    layers = manifold_layers("small_cnn", model)
    logits, y_mix = ManifoldMixup().forward(model, layers, x, soft_labels(), ManifoldDraw(2, 0.6, torch.arange(N).flip(0)))
    (-(y_mix * logits.log_softmax(1)).sum(1).mean()).backward()
    first_conv = model.features[0].weight
    assert first_conv.grad is not None and bool(first_conv.grad.abs().sum() > 0)


def test_hook_is_removed_when_the_forward_fails() -> None:
    model, x = arch_input("mlp")
    layers = manifold_layers("mlp", model)
    with pytest.raises(RuntimeError):
        ManifoldMixup().forward(model, layers, x[:, :3], soft_labels(), ManifoldDraw(1, 0.5, torch.arange(N)))
    assert not any(layer._forward_hooks for layer in layers)


def test_mix_rows_is_a_convex_combination() -> None:
    t = torch.arange(12.0).view(4, 3)
    perm = torch.tensor([1, 2, 3, 0])
    torch.testing.assert_close(mix_rows(t, perm, 0.25), 0.25 * t + 0.75 * t[perm])
    assert torch.equal(t, torch.arange(12.0).view(4, 3))  # input untouched


def test_registry_params_and_validation() -> None:
    assert TRAINER_METHODS.names() == ["manifold-mixup"]
    assert "manifold-mixup" not in MIXERS  # never applied as an input mixer
    assert ManifoldMixup.param_defaults() == {"alpha": 2.0}
    assert get_trainer_method("manifold-mixup", alpha=1).params == {"alpha": 1.0}
    with pytest.raises(ValueError, match="alpha must be a finite number > 0"):
        get_trainer_method("manifold-mixup", alpha=0)
    with pytest.raises(ValueError, match="got unknown parameter\\(s\\) gamma; accepted: alpha"):
        get_trainer_method("manifold-mixup", gamma=2.8)
    with pytest.raises(ValueError, match="unknown trainer method 'nope'; valid choices: manifold-mixup"):
        get_trainer_method("nope")
    with pytest.raises(ValueError, match=r"layer must lie in \[0, 2\]"):
        model, x = arch_input("mlp")
        ManifoldMixup().forward(model, manifold_layers("mlp", model), x, soft_labels(), ManifoldDraw(3, 0.5, torch.arange(N)))


def test_bad_batches_raise() -> None:
    model, x = arch_input("mlp")
    layers = manifold_layers("mlp", model)
    with pytest.raises(ValueError, match="y has 5 rows but x has N=6"):
        ManifoldMixup()(model, layers, x, soft_labels()[:5])
    with pytest.raises(ValueError, match="y rows must be probability distributions"):
        ManifoldMixup()(model, layers, x, torch.ones(N, K))
