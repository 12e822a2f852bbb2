"""nncourse: release, sandboxed grading and reports for the 'Neural Networks in PyTorch' course."""

__version__ = "0.1.0"
