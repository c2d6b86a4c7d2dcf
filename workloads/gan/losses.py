"""StyleGAN2 losses: non-saturating logistic loss and the R1 gradient penalty on real images."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating G loss: mean softplus(-D(G(z)))  (= -log sigmoid D(G(z)))."""
    return F.softplus(-fake_logits).mean()


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Logistic D loss: mean softplus(D(fake)) + mean softplus(-D(real))."""
    return F.softplus(fake_logits).mean() + F.softplus(-real_logits).mean()


def r1_penalty(real_logits: torch.Tensor, real_images: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of ||d D(x) / d x||^2 at the real images (Mescheder et al. 2018).

    `real_images` must require grad and `real_logits` be computed from them (through the augmentation,
    as NVIDIA does, so the penalty is w.r.t. the un-augmented reals). The graph is kept (create_graph)
    so the penalty can itself be back-propagated into D. Multiply by gamma / 2 for the loss term.
    """
    (grad,) = torch.autograd.grad(real_logits.sum(), real_images, create_graph=True)
    return grad.square().sum(dim=[1, 2, 3]).mean()


def r1_loss(real_logits: torch.Tensor, real_images: torch.Tensor, gamma: float, interval: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """(loss term, raw penalty): gamma / 2 * R1, scaled by `interval` for lazy regularization.

    With lazy regularization the penalty is evaluated only every `interval` steps, so each evaluation
    counts `interval` times to keep the same expected strength (StyleGAN2, section 4).
    """
    penalty = r1_penalty(real_logits, real_images)
    return penalty * (gamma / 2) * interval, penalty.detach()
