"""papertray: a local-first companion for people who follow new machine-learning papers."""

__version__ = "0.1.0"
API_VERSION = "1"
