"""GeMix's Table I pipeline stages as trainables (the GAN itself is `workloads.gan`):

- `gan_stage` ("gan-train"): the conditional GAN on its balanced subset, exporting the generator;
- `sets_stage` ("gemix-sets"): the mixup, MMixup and GeMix training sets;
- `quality_stage` ("gemix-quality"): an oracle's measures of those sets and Fig. 3's t-SNE.
Each module holds its typed `Config` and `train`; `stage_config` the keys they share, and
`workloads.artifacts` the folder layout they hand files through.
"""
