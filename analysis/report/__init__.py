"""The report page of a run: ``<results>/report/index.html`` (see :mod:`analysis.report.build`)."""

from analysis.report.build import build_report, compute_report, plan_report, write_report

__all__ = ["build_report", "compute_report", "plan_report", "write_report"]
