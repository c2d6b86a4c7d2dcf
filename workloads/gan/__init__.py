"""GeMix: a conditional StyleGAN2-ADA-style GAN, Dirichlet soft-label sampling, offline image sets.

- `workloads.gan.train.train_gan`: the GAN trainable (its typed config: `workloads.gan.config.GanConfig`)
- `workloads.gan.sample`: Algorithm 1 (`sample_gemix`) and `load_generator` (checkpoint or module:callable)
- `workloads.gan.sets`: image sets on disk, the mixup / MMixup baselines, `as_training_source`
- `workloads.gan.quality`: oracle metrics, optional FID/KID
"""
from workloads.gan.config import GanConfig
from workloads.gan.sample import load_generator, sample_gemix
from workloads.gan.train import train_gan

__all__ = ["GanConfig", "load_generator", "sample_gemix", "train_gan"]
