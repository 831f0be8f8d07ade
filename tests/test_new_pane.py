"""Adding a pane is one `PaneSpec` and one module under `ui/panes/`, nothing else.

A subprocess adds an eighth pane, "uptime", exactly so: the spec is appended to the
registry before anything reads it, and the widget module is a file found under the
name `obsconsole.ui.panes.uptime` (as `ui/panes/uptime.py` would be). No other file is
touched; the config defaults, the focus key and palette entry, the help, the screen and
the JSON snapshot must all show the pane.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SPEC = '''
import importlib.util, sys
import obsconsole.panes as registry
from obsconsole.model import Health

async def fetch(ctx, sources):
    """Hosts answering node-exporter (a pane on an existing backend: no new source)."""
    return tuple(sorted(h.host for h in await sources.infra.fetch_hosts()))

spec = registry.PaneSpec("uptime", 8, "Uptime checks", "Uptime", "Uptime", "hosts answering",
                         "prometheus", 30.0, 5.0, fetch, lambda ctx, v: Health.OK if v else Health.CRITICAL)
registry.PANES = (*registry.PANES, spec)
registry.PANE_IDS = tuple(p.id for p in registry.PANES)
registry.BY_ID = {p.id: p for p in registry.PANES}

class Finder:
    """ui/panes/uptime.py, from the test's directory."""
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name == "obsconsole.ui.panes.uptime":
            return importlib.util.spec_from_file_location(name, WIDGET)
        return None

sys.meta_path.insert(0, Finder)
'''

WIDGET = '''
"""Pane 8: uptime checks (the module a new pane needs)."""
from rich.text import Text
from obsconsole.ui.panes.base import Column, Pane


class UptimePane(Pane):
    pane_id = "uptime"

    def columns(self):
        return [Column("host", 16, flex=True), Column("state", 6)]

    def rows(self, value):
        for host in value:
            yield host, [Text(host), Text("up")]

    def summary(self, value):
        return f"{len(value)} up"

    def detail(self, key):
        return None
'''

CHECK = '''
import io, json, contextlib
from obsconsole.cli import main
from obsconsole.config import DEFAULT_PANES, load_config
from obsconsole.ui.actions import ACTIONS_BY_ID

out = {"default": [DEFAULT_PANES["uptime"].refresh_s, DEFAULT_PANES["uptime"].timeout_s]}
focus = ACTIONS_BY_ID["pane.focus-8"]
out["focus"] = [focus.key, focus.title, focus.help]
for fmt in ("json", "txt"):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["snapshot", "--demo", "--format", fmt, "--size", "120x40", "--at", "2025-03-04T15:00:00Z"])
    out[fmt] = [code, buf.getvalue()]
out["refresh"] = load_config(CONFIG).context.panes.refresh["uptime"].refresh_s
print(json.dumps(out))
'''


def test_an_eighth_pane_needs_only_its_spec_and_its_module(tmp_path: Path) -> None:
    widget = tmp_path / "uptime.py"
    widget.write_text(textwrap.dedent(WIDGET), encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text("contexts:\n  demo:\n    demo: {}\n    panes:\n      uptime:\n        refresh: 45s\n", encoding="utf-8")
    program = f"WIDGET = {str(widget)!r}\nCONFIG = {str(config)!r}\n" + SPEC + CHECK
    done = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.splitlines()[-1])

    assert out["default"] == [30.0, 5.0]
    assert out["focus"] == ["8", "pane: Go to Uptime", "Focus pane 8: hosts answering"]
    assert out["refresh"] == 45.0

    code, text = out["json"]
    doc = json.loads(text)
    assert list(doc["panes"]) == ["infra", "latency", "errors", "slo", "alerts", "security", "incidents", "uptime"]
    uptime = doc["panes"]["uptime"]
    assert (uptime["title"], uptime["health"], uptime["error"]) == ("Uptime checks", "OK", None)
    assert uptime["data"] == ["aigym-api-1", "aigym-api-2", "aigym-db-1", "aigym-edge-1",
                              "aigym-worker-1", "aigym-worker-2"]
    assert code == 0

    code, screen = out["txt"]
    assert "8 Uptime checks · 6 up" in screen
    lines = screen.splitlines()
    top = next(i for i, line in enumerate(lines) if "8 Uptime checks" in line)
    column = lines[top].index("8 Uptime checks")
    pane = [line[column - 4:] for line in lines[top + 1:top + 3]]
    assert pane[0].split()[1:3] == ["host", "state"]
    assert pane[1].split()[1:3] == ["aigym-api-1", "up"]
