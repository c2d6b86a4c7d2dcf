"""What a run leaves behind: the invocation record (`mixbench.json` + `latest`), the results tables
(schema, trial statuses, the Parquet store), the Tune callback that writes them, MLflow, and the
recovery of rows from Ray's own logs."""
