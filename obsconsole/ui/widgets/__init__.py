"""Widgets the panes and screens are built of: one-line text, the header and tab strip, the pane table."""
