"""The console's dialogs: help (`?`), the detail of a row, the ack confirmation
(`screens.ack`, imported when first used)."""

from obsconsole.ui.screens.base import Closable, Dialog, key_display
from obsconsole.ui.screens.detail import DetailScreen, is_link
from obsconsole.ui.screens.help import HelpScreen

__all__ = ["Closable", "DetailScreen", "Dialog", "HelpScreen", "is_link", "key_display"]
