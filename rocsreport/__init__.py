"""rocsreport: survey responses -> research-grade benchmark reports (static site and PDF)."""

__version__ = "0.1.0"
