"""The command palette's obsconsole entries, built from the action table (the same rows
as the key bindings), next to Textual's own system commands."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, Callable, Iterator, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from obsconsole.ui.actions import ActionSpec
from obsconsole.ui.screens import key_display

if TYPE_CHECKING:
    from obsconsole.ui.app import ObsConsoleApp


class ActionsProvider(Provider):
    def _entries(self) -> Iterator[tuple[ActionSpec, str, Callable[[], Any]]]:
        app = cast("ObsConsoleApp", self.app)
        for spec in app.palette_actions():
            keys = app.keymap_keys(spec)
            help_text = f"{spec.help} ({key_display(keys)})" if keys else spec.help
            yield spec, help_text, partial(app.run_spec, spec)

    async def discover(self) -> Hits:
        for spec, help_text, run in self._entries():
            yield DiscoveryHit(spec.title, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for spec, help_text, run in self._entries():
            score = matcher.match(spec.title)
            if score > 0:
                yield Hit(score, matcher.highlight(spec.title), run, help=help_text)
