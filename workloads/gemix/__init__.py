"""GeMix's Table I pipeline stages: GAN training with generator export, and the offline training sets.

`workloads.gemix.stages` holds the trainables ("gan-train", "gemix-sets"); `workloads.gemix.config`
their flat config keys. The GAN itself is `workloads.gan`.
"""
