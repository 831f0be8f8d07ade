"""Backends. One module per backend; each returns model objects and raises only SourceError.

`base.py` holds the interfaces every backend (and the demo platform) implements.
"""
