"""scholarpage: a static site generator for academic researcher profile pages."""

__version__ = "0.1.0"
