"""The built-in synthetic AI GYM platform: every pane's source, deterministic in
(seed, clock). Pure computation: no files, no network, no Textual.

    platform = DemoPlatform(seed=1, clock=lambda: datetime.now(timezone.utc))
    hosts = await platform.fetch_hosts()
"""

from obsconsole.sources.demo.platform import DemoPlatform

__all__ = ["DemoPlatform"]
