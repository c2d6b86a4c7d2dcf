"""Running an experiment: Ray (local or a cluster), one Tune `Tuner` per stage, the searchers, the
adapter from a workloads trainable to a Tune trial, and the data the driver shares with every trial.
The only package of mixbench, with the record package's Tune callback, that imports Ray."""
