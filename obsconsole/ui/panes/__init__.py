"""The overview panes: one module per pane of the registry (obsconsole/panes.py), named
by its id, each a subclass of `base.Pane` with that `pane_id`."""

import importlib

from obsconsole.panes import PANES
from obsconsole.ui.panes.base import PANE_WIDGETS

for _spec in PANES:
    importlib.import_module(f"obsconsole.ui.panes.{_spec.id}")

#: the widget classes, in pane order
PANE_CLASSES = tuple(PANE_WIDGETS[spec.id] for spec in PANES)

__all__ = ["PANE_CLASSES"]
