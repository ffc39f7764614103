"""A Discord front end for a Midjourney proxy API."""

__version__ = "0.1.0"
