"""The six overview panes, one module each, all built on `base.Pane`."""

from obsconsole.ui.panes.alerts import AlertsPane
from obsconsole.ui.panes.errors import ErrorsPane
from obsconsole.ui.panes.infra import InfraPane
from obsconsole.ui.panes.latency import LatencyPane
from obsconsole.ui.panes.security import SecurityPane
from obsconsole.ui.panes.slo import SLOPane

PANE_CLASSES = (InfraPane, LatencyPane, ErrorsPane, SLOPane, AlertsPane, SecurityPane)

__all__ = ["PANE_CLASSES"]
