"""Architectures: every registered arch builds and runs; pretrained weights only from local files."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from workloads.models import (
    ARCHS,
    TIMM_ARCHS,
    PretrainedWeightsNotFound,
    build_model,
    find_pretrained,
    manifold_layers,
)


@pytest.fixture()
def empty_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HF and torch hub caches pointed at empty folders, so nothing real is found."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    return tmp_path


@pytest.mark.parametrize("arch", ARCHS.names())
def test_every_arch_builds_and_gives_logits(arch: str) -> None:
    torch.manual_seed(0)
    if arch == "mlp":
        model, x = build_model(arch, 5, 3, (1, 1)), torch.randn(4, 5, 1, 1)
    else:
        model, x = build_model(arch, 1, 3, (32, 32)), torch.randn(2, 1, 32, 32)
    model.eval()
    with torch.no_grad():
        out = model(x)
    assert out.shape == (len(x), 3)
    assert torch.isfinite(out).all()


def test_small_cnn_learns_a_gradient_step() -> None:
    torch.manual_seed(0)
    model = build_model("small_cnn", 3, 4, (8, 8))
    x, y = torch.randn(16, 3, 8, 8), torch.randint(0, 4, (16,))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    first = float(torch.nn.functional.cross_entropy(model(x), y).detach())
    for _ in range(20):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    assert float(torch.nn.functional.cross_entropy(model(x), y).detach()) < first * 0.5


def test_unknown_arch_names_choices() -> None:
    with pytest.raises(ValueError, match="unknown arch 'resnet9'; valid choices: .*small_cnn"):
        build_model("resnet9", 3, 10, (32, 32))


def test_small_cnn_refuses_feature_vectors() -> None:
    with pytest.raises(ValueError, match="use arch=mlp"):
        build_model("small_cnn", 5, 3, (1, 1))


@pytest.mark.parametrize("arch", ["small_cnn", "mlp"])
def test_own_archs_have_no_pretrained_weights(arch: str) -> None:
    with pytest.raises(ValueError, match="has no pretrained weights; set pretrained=false"):
        build_model(arch, 3, 10, (32, 32), pretrained=True)


def test_missing_pretrained_weights_message(empty_caches: Path) -> None:
    with pytest.raises(PretrainedWeightsNotFound) as info:
        build_model("resnet50", 3, 10, (32, 32), pretrained=True)
    message = str(info.value)
    assert message.startswith("pretrained weights for resnet50 not found locally; looked in ")
    assert str(empty_caches / "hf" / "hub" / "models--timm--resnet50") in message
    assert str(empty_caches / "torch" / "hub" / "checkpoints") in message
    assert message.endswith("set pretrained_path=/path/to/weights or pretrained=false")
    assert isinstance(info.value, ValueError)


def test_missing_pretrained_path_is_named(empty_caches: Path) -> None:
    missing = empty_caches / "nope.pth"
    with pytest.raises(PretrainedWeightsNotFound, match=f"looked in {missing}"):
        find_pretrained("resnet18", str(missing))


def test_pretrained_from_local_file(tmp_path: Path, empty_caches: Path) -> None:
    import timm

    source = timm.create_model("resnet18", pretrained=False)
    path = tmp_path / "r18.pth"
    torch.save(source.state_dict(), path)
    model = build_model("resnet18", 1, 7, (32, 32), pretrained=True, pretrained_path=str(path))
    assert torch.equal(model.layer2[0].conv1.weight, source.layer2[0].conv1.weight)
    # timm folds the RGB stem into one input channel and re-initializes the 7-class head.
    torch.testing.assert_close(model.conv1.weight[:, 0], source.conv1.weight.sum(1))
    assert model.fc.out_features == 7


def test_pretrained_from_local_hf_cache(empty_caches: Path) -> None:
    import timm
    from safetensors.torch import save_file

    source = timm.create_model("resnet18", pretrained=False)
    snapshot = empty_caches / "hf" / "hub" / "models--timm--resnet18.a1_in1k" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    save_file({k: v.contiguous() for k, v in source.state_dict().items()}, snapshot / "model.safetensors")
    assert find_pretrained("resnet18") == snapshot / "model.safetensors"
    model = build_model("resnet18", 3, 10, (32, 32), pretrained=True)
    assert torch.equal(model.layer4[1].conv2.weight, source.layer4[1].conv2.weight)


def test_timm_archs_are_registered() -> None:
    assert set(TIMM_ARCHS) | {"small_cnn", "mlp"} == set(ARCHS.names())


@pytest.mark.parametrize("arch", ARCHS.names())
def test_manifold_layers_are_hidden_stages_shallow_to_deep(arch: str) -> None:
    torch.manual_seed(0)
    size = (1, 1) if arch == "mlp" else (32, 32)
    model = build_model(arch, 3, 4, size)
    layers = manifold_layers(arch, model)
    if arch.startswith("resnet"):
        assert layers == [model.layer1, model.layer2, model.layer3]
    elif arch in TIMM_ARCHS:
        assert layers == list(model.blocks) and len(layers) == 7
    elif arch == "small_cnn":
        assert layers == [model.features[i] for i in (2, 5, 9)]  # the ReLU ending each conv block
    else:
        assert layers == [model[2], model[4]]  # the ReLU of each hidden layer
    # Every listed module runs once per forward, in the listed order.
    order: list[int] = []
    handles = [layer.register_forward_hook(lambda m, i, o, k=k: order.append(k)) for k, layer in enumerate(layers)]
    model.eval()
    with torch.no_grad():
        model(torch.randn(2, 3, *size))
    for h in handles:
        h.remove()
    assert order == list(range(len(layers)))


def test_manifold_layers_unknown_arch() -> None:
    with pytest.raises(ValueError, match="unknown arch 'vgg'; valid choices"):
        manifold_layers("vgg", torch.nn.Linear(2, 2))
