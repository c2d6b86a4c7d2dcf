"""Report sections beyond the results tables, by name: an experiment declares the ones it wants
(`search_spaces.experiment.Section`, with their parameters), and the report runs them in order.

A section is a function `(context, params) -> files written` registered in `SECTIONS`; importing
this package registers every one. No section knows an experiment by name.
"""
from orchestrator.report.sections.registry import SECTIONS, SectionContext, run_sections
from orchestrator.report.sections import confusion, gemix_quality, gemix_samples, pretrained  # noqa: F401,E402  (register)
from orchestrator.report.sections import analysis, zeta_fig6, zeta_table9  # noqa: F401,E402  (register)

__all__ = ["SECTIONS", "SectionContext", "run_sections"]
