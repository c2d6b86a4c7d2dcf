"""Analysis code for the ζ-mixup paper's evidence beyond accuracy: Figs. 2–8 and Table 9 (b).

Pure library code: arrays in, arrays / pandas tables / PNG files out; no Ray, no MLflow. Every
random draw comes from an explicit `torch.Generator` or NumPy `Generator` (seeded, default 42,
the authors' demo seed). The trainables that run these as experiments live elsewhere.

| module | figure | what |
|---|---|---|
| `batch_mixing` | all | mix a whole set in shuffled batches with the training mixers (`MixSpec`, `mix_dataset`) |
| `point_sets` | 2, 6, 7 | crescents, spirals, the helices, the 3-D paraboloid in R^12 |
| `synthetic_mixing` | 2 | Fig. 2 (a) 2-D sets, (b) the helix, (c) T x γ: arrays and tables |
| `plots_synthetic` | 2, 7 | their PNGs |
| `lenet` | 3 | the LeNet-5 MNIST oracle: module, training, prediction |
| `realism` | 3 | oracle entropy (realism) and soft-label cross-entropy (label correctness) |
| `plots_realism` | 3 | KDE plots with the paper's insets, soft-label bars |
| `montage` | 3, 4, 5 | 100-image mixup / ζ montages with soft labels |
| `local_id` | 6 | pointwise local PCA (Fukunaga–Olsen) ID, the γ sweep |
| `plots_local_id` | 6 | mean ± std bands vs γ |
| `local_id_illustration` | 7 | local-PCA ellipses and a test point's k-NN on the crescents |
| `neighbourhoods` | 8 | test images ERM and mixup miss and every ζ gets right; their 128-NN label agreement; t-SNE |
| `lsi` | Table 9 | local synthetic instances (Brown et al., 2015; the paper's ref. 57) |
| `timing` | Table 9 (b) | one augmentation call on a [32, 3, 224, 224] batch |
"""
