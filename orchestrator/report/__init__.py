"""Reports from the Parquet results alone: tables, figures, plots, the HTML index, comparisons and the
experiment-declared sections. Imports no Ray: `mixbench report` works where Ray is not installed."""
