"""obsconsole: a keyboard-driven terminal operations console for on-call engineers."""

__version__ = "0.1.0"
