"""The ζ-mixup paper's analysis figures (Figs. 2–8) and Table 9 (b) as trainables: one module per figure.

Each module has a typed `Config` (`base.FigureConfig` plus its own keys) and
`train(config, report, checkpoint=None, *, data=None)`; it runs the analyses of `workloads.analysis`
(no Ray, no MLflow here), writes PNGs, CSVs and a `summary.json` (the paper's statements beside what
the run measured) into `{artifacts_dir}/<figure>/<trial>/`, and reports its key numbers once.

| module | trainable | figure |
|---|---|---|
| `fig2` | figure-fig2 | Fig. 2: mixup and ζ-mixup on crescents, spirals, the helix; T x γ |
| `fig3` | figure-fig3 | Fig. 3: MNIST montages, soft labels, a LeNet-5 oracle's realism and label correctness |
| `montages` | figure-montage | Figs. 4, 5: ISIC 2017 / 2018 montages |
| `fig6` | figure-fig6 | Fig. 6: local intrinsic dimension vs γ |
| `fig7` | figure-fig7 | Fig. 7: local-PCA ellipses and test-point neighbourhoods on the crescents |
| `fig8` | figure-fig8 | Fig. 8: feature-space neighbourhoods of Table 6 models (reads a zeta-table6 run) |
| `table9` | figure-table9 | Table 9 (b): one augmentation call on a [32, 3, 224, 224] batch |
"""
