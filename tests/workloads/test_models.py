"""Architectures: every registered arch builds and runs; CIFAR-style stems keep the resolution;
pretrained weights only from local files."""
from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from workloads.models import (
    ARCHS,
    STRIDE1_STEM_ARCHS,
    TIMM_ARCHS,
    PretrainedWeightsNotFound,
    build_model,
    find_pretrained,
    manifold_layers,
)

CIFAR_RESNETS = ("cifar_resnet18", "cifar_resnet50", "cifar_preact_resnet18")
# every arch meant for 28-96 px inputs: a stem that keeps the input's resolution
CIFAR_STYLE = CIFAR_RESNETS + tuple(STRIDE1_STEM_ARCHS)
OWN_ARCHS = [a for a in ARCHS.names() if a not in TIMM_ARCHS]


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


@pytest.mark.parametrize("arch", OWN_ARCHS)
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


def test_timm_and_cifar_style_archs_are_registered() -> None:
    assert set(TIMM_ARCHS) | set(CIFAR_STYLE) | {"small_cnn", "mlp"} == set(ARCHS.names())
    assert set(STRIDE1_STEM_ARCHS.values()) <= set(TIMM_ARCHS)


@pytest.mark.parametrize("arch", ARCHS.names())
def test_manifold_layers_are_hidden_stages_shallow_to_deep(arch: str) -> None:
    torch.manual_seed(0)
    size = (1, 1) if arch == "mlp" else (32, 32)
    model = build_model(arch, 3, 4, size)
    layers = manifold_layers(arch, model)
    if hasattr(model, "layer1"):
        # every ResNet: k in {0 = input, 1, 2}, as Verma et al. mix ResNets (never after layer3)
        assert layers == [model.layer1, model.layer2]
    elif arch in TIMM_ARCHS or arch in STRIDE1_STEM_ARCHS:
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


def _stem_and_last_stage(arch: str, model: torch.nn.Module) -> tuple[torch.nn.Module, torch.nn.Module]:
    """The module ending the stem, and the last stage."""
    if arch in STRIDE1_STEM_ARCHS or arch in TIMM_ARCHS and not hasattr(model, "layer1"):
        return model.conv_stem, model.blocks[-1]
    if arch == "cifar_preact_resnet18":
        return model.conv1, model.layer4
    return (model.bn1 if arch in CIFAR_RESNETS else model.maxpool), model.layer4


def spatial_sizes(arch: str, model: torch.nn.Module, in_chans: int, size: int) -> tuple[tuple[int, int], tuple[int, int], tuple[int, ...]]:
    """(H, W) after the stem, (H, W) after the last stage, and the logits' shape of `model` (built as
    `arch`) on a batch of two `in_chans` x `size` x `size` images."""
    stem, last = _stem_and_last_stage(arch, model)
    seen: dict[str, tuple[int, int]] = {}

    def record(name: str):
        def hook(module: torch.nn.Module, inputs: object, output: torch.Tensor) -> None:
            seen[name] = tuple(output.shape[2:])
        return hook

    hooks = [stem.register_forward_hook(record("stem")), last.register_forward_hook(record("last"))]
    with torch.no_grad():
        out = model.eval()(torch.randn(2, in_chans, size, size))
    for h in hooks:
        h.remove()
    assert torch.isfinite(out).all()
    return seen["stem"], seen["last"], tuple(out.shape)


def halved(size: int, times: int) -> int:
    """The size after `times` stride-2 3x3 convs with padding 1 (each gives ceil(s / 2))."""
    for _ in range(times):
        size = math.ceil(size / 2)
    return size


@pytest.mark.parametrize("in_chans", [1, 3])
@pytest.mark.parametrize("arch", CIFAR_STYLE)
def test_cifar_style_stems_keep_the_input_resolution(arch: str, in_chans: int) -> None:
    torch.manual_seed(0)
    model = build_model(arch, in_chans, 5, (28, 28))  # one model for every size: none depends on it
    for size in (28, 32, 64, 96):  # F-MNIST / MedMNIST, CIFAR, -, STL-10
        after_stem, last, logits = spatial_sizes(arch, model, in_chans, size)
        assert logits == (2, 5)
        assert after_stem == (size, size)  # 3x3 stride-1 stem, no max-pool
        # ResNets: 3 stride-2 stages (32 px -> 4x4 at layer4); MobileNetV2 / EfficientNet-B0: timm's
        # 4 stride-2 block groups (32 px -> 2x2)
        downsamplings = 4 if arch in STRIDE1_STEM_ARCHS else 3
        assert last == (halved(size, downsamplings),) * 2, size


@pytest.mark.parametrize("arch", ["resnet18", "mobilenetv2_100", "efficientnet_b0"])
def test_timm_stems_shrink_32_px_to_1x1(arch: str) -> None:
    # what the CIFAR-style archs are for: timm's ImageNet stems leave nothing spatial of a 32 px image
    after_stem, last, _ = spatial_sizes(arch, build_model(arch, 3, 5, (32, 32)), 3, 32)
    assert after_stem == ((8, 8) if arch == "resnet18" else (16, 16))
    assert last == (1, 1)


@pytest.mark.parametrize(("arch", "params"), [
    # the pytorch-cifar zoo's (and the official mixup code's) counts for 10 classes
    ("cifar_resnet18", 11_173_962),  # ResNet18 (BasicBlock), as MedMNIST's ResNet-18 (28)
    ("cifar_resnet50", 23_520_842),  # ResNet50 (Bottleneck)
    ("cifar_preact_resnet18", 11_171_146),  # PreActResNet18, Verma et al.'s `preactresnet18`
])
def test_cifar_resnets_match_the_reference_networks(arch: str, params: int) -> None:
    model = build_model(arch, 3, 10, (32, 32))
    assert sum(p.numel() for p in model.parameters()) == params
    assert not any(isinstance(m, torch.nn.MaxPool2d) for m in model.modules())
    bns = sum(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    # pre-activation: 2 BNs per block and none in the stem or after the last block (Verma et al.)
    assert bns == {"cifar_resnet18": 1 + 16 + 3, "cifar_resnet50": 1 + 48 + 4, "cifar_preact_resnet18": 16}[arch]


@pytest.mark.parametrize(("arch", "base"), sorted(STRIDE1_STEM_ARCHS.items()))
def test_stride1_stem_variants_change_only_the_stem_stride(arch: str, base: str) -> None:
    torch.manual_seed(0)
    ours = build_model(arch, 3, 10, (32, 32))
    torch.manual_seed(0)
    timm_model = build_model(base, 3, 10, (32, 32))
    assert ours.conv_stem.stride == (1, 1) and timm_model.conv_stem.stride == (2, 2)
    ours.conv_stem.stride = (2, 2)
    # the same network and the same initialization otherwise: equal logits once the stride is back
    assert ours.state_dict().keys() == timm_model.state_dict().keys()
    for key, value in ours.state_dict().items():
        assert torch.equal(value, timm_model.state_dict()[key]), key
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(ours.eval()(x), timm_model.eval()(x))


@pytest.mark.parametrize("arch", CIFAR_RESNETS)
def test_cifar_resnets_refuse_images_too_small_for_their_stages(arch: str) -> None:
    with pytest.raises(ValueError, match=f"arch '{arch}' needs images of at least 8x8"):
        build_model(arch, 3, 10, (4, 4))
