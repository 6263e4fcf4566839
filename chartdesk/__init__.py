"""chartdesk: the records desk of a medical office, as software."""

__version__ = "0.1.0"
