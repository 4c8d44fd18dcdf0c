"""intel: news intelligence on the global AI-infrastructure race."""

__version__ = "0.1.0"
__all__ = ["__version__"]
