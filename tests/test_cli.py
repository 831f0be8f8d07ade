"""The command line: snapshot formats and exit codes, determinism, check, help, and
one-line errors for bad configs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from obsconsole.cli import main

AT = "2026-11-28T14:00:00Z"


def snapshot(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["snapshot", "--demo", "--at", AT, "--timeout", "10", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_snapshot_has_every_pane_with_data_age_and_error(capsys) -> None:
    code, out, _ = snapshot(capsys, "--format", "json", "--elapsed", "60")
    doc = json.loads(out)
    assert set(doc) == {"obsconsole", "context", "generated_at", "status", "exit_code", "panes", "panes_left_out"}
    assert list(doc["panes"]) == ["infra", "latency", "errors", "slo", "alerts", "security", "incidents"]
    assert doc["panes_left_out"] == []
    for pane in doc["panes"].values():
        assert set(pane) == {"title", "health", "fetched_at", "age_s", "error", "data"}
        assert pane["error"] is None and pane["age_s"] == 0.0
    api = next(s for s in doc["panes"]["latency"]["data"] if s["service"] == "aigym-api")
    assert api["p95_s"] > 2.0 and api["error_ratio"] > 0.05
    names = {a["name"] for g in doc["panes"]["alerts"]["data"]["groups"] for a in g["alerts"]}
    assert {"APIResponseTimeHigh", "APIErrorRateHigh"} <= names
    assert doc["status"] == "CRITICAL" and code == 2 == doc["exit_code"]


def test_same_seed_and_clock_give_the_same_json(capsys) -> None:
    first = snapshot(capsys, "--format", "json", "--elapsed", "60", "--seed", "7")[1]
    second = snapshot(capsys, "--format", "json", "--elapsed", "60", "--seed", "7")[1]
    other_seed = snapshot(capsys, "--format", "json", "--elapsed", "60", "--seed", "8")[1]
    assert first == second
    assert first != other_seed


def test_calm_demo_exits_ok(capsys) -> None:
    code, out, _ = snapshot(capsys, "--format", "json", "--elapsed", "0")
    assert code == 0
    assert json.loads(out)["status"] == "OK"


def test_spent_slo_budget_after_recovery_exits_warning(capsys) -> None:
    # recovered: no alert above low, every gauge OK, but api-latency's budget is < 10 %
    code, out, _ = snapshot(capsys, "--format", "json", "--elapsed", "240")
    doc = json.loads(out)
    assert code == 1, doc["status"]
    assert doc["panes"]["slo"]["health"] == "WARNING"


def test_incident_exits_critical(capsys) -> None:
    assert snapshot(capsys, "--format", "txt", "--elapsed", "60")[0] == 2


def test_unreadable_backend_exits_unknown(tmp_path: Path, capsys) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text("contexts:\n  lab:\n    demo:\n      faults: [alerts]\n")
    code = main(["snapshot", "--config", str(cfg), "--at", AT, "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 3
    assert doc["panes"]["alerts"]["health"] == "UNKNOWN"
    assert doc["panes"]["alerts"]["error"]["kind"] == "unreachable"
    assert doc["panes"]["alerts"]["data"] is None


def test_txt_snapshot_is_the_screen_as_text(capsys) -> None:
    code, out, _ = snapshot(capsys, "--format", "txt", "--size", "120x40", "--elapsed", "60")
    lines = out.splitlines()
    assert len(lines) == 40 and max(len(line) for line in lines) <= 120
    for title in ("1 Infrastructure", "2 API latency", "3 Error stream", "4 SLO budgets", "5 Alerts", "6 Security"):
        assert title in out
    assert "aigym-api" in out and "14:00 UTC" in out
    assert "\x1b" not in out


def test_svg_snapshot_to_a_file(tmp_path: Path, capsys) -> None:
    target = tmp_path / "shot.svg"
    code, out, _ = snapshot(capsys, "--format", "svg", "--size", "80x24", "--output", str(target))
    assert out == ""
    svg = target.read_text()
    assert svg.lstrip().startswith("<svg") and "Infrastructure" in svg.replace("&#160;", " ")
    assert code == 0


def test_bad_config_is_one_line_naming_file_key_and_reason(tmp_path: Path, capsys) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text("contexts:\n  prod:\n    prometheus:\n      url: 'htp:/x'\n")
    code = main(["snapshot", "--config", str(cfg), "--format", "json"])
    err = capsys.readouterr().err
    assert code == 2
    assert err == f"{cfg}: contexts.prod.prometheus.url: not a URL: 'htp:/x'\n"


def test_missing_config_says_where_it_looked_and_suggests_the_demo(capsys) -> None:
    code = main(["snapshot", "--format", "json"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "obsconsole demo" in err


def test_check_against_the_demo_reports_each_backend(capsys) -> None:
    code = main(["check", "--demo"])
    out = capsys.readouterr().out
    assert code == 0
    for backend in ("prometheus", "alertmanager", "elasticsearch", "wazuh"):
        assert backend in out
    assert "demo://" in out and "yes" in out


def test_help_reads_like_a_man_page() -> None:
    result = subprocess.run([sys.executable, "-m", "obsconsole", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "FILES", "ENVIRONMENT", "EXIT STATUS", "EXAMPLES"):
        assert section in result.stdout
    for option in ("--config", "--context", "--theme", "--keymap", "--readonly", "--refresh"):
        assert option in result.stdout


def test_options_are_accepted_after_the_command(capsys) -> None:
    code = main(["snapshot", "--demo", "--readonly", "--theme", "light", "--refresh", "30",
                 "--at", AT, "--format", "txt", "--size", "120x40"])
    assert "READ-ONLY" in capsys.readouterr().out
    assert code == 0


# --------------------------------------------------------------------------- help


COMMANDS = ("run", "demo", "snapshot", "check", "db", "incident")


@pytest.mark.parametrize("command", COMMANDS)
def test_command_help_shows_its_usage_a_description_and_one_options_heading(command: str, capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    out = capsys.readouterr().out
    assert exited.value.code == 0
    assert out.startswith(f"usage: obsconsole {command} [-h] [--config PATH]")
    description = out.split("\n\n")[1]
    assert not description.startswith("options:") and len(description.split()) >= 5, description
    headings = [line for line in out.splitlines() if line.endswith(":") and not line.startswith(" ")]
    assert headings in (["options:"], ["positional arguments:", "options:"])  # one options heading


def test_main_help_describes_every_command_and_has_one_options_heading(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert [line for line in out.splitlines() if line.endswith(":") and not line.startswith(" ")] == ["options:"]
    section = out.split("\nCOMMANDS\n", 1)[1].split("\n\n", 1)[0].splitlines()
    described = {line.split()[0]: line.split(None, 1)[1] for line in section if not line.startswith("      ")}
    assert list(described) == list(COMMANDS)
    assert all(len(text.split()) >= 5 for text in described.values()), described


# --------------------------------------------------------------------------- config errors


def test_a_config_with_two_mistakes_reports_both_one_line_each(tmp_path: Path, capsys) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(
        "contexts:\n"
        "  prod:\n"
        "    prometheus: {url: 'htp:/x'}\n"
        "    ack_duration: soon\n"
    )
    code = main(["snapshot", "--config", str(cfg), "--format", "json"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines() == [
        f"{cfg}: contexts.prod.prometheus.url: not a URL: 'htp:/x'",
        f"{cfg}: contexts.prod.ack_duration: expected a duration like '30s', '5m' or '1h30m', got 'soon'",
    ]


def test_missing_config_names_xdg_config_home_when_it_is_set(isolated_env: Path, capsys) -> None:
    code = main(["check"])
    err = capsys.readouterr().err
    assert code == 2
    expected = isolated_env / "config" / "obsconsole" / "config.yaml"
    assert f"$XDG_CONFIG_HOME/obsconsole/config.yaml ({expected})" in err
    assert "~/.config" not in err and err.count("\n") == 1


def test_missing_config_names_the_home_default_without_xdg_config_home(
    monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", "/nonexistent-home")
    code = main(["check"])
    err = capsys.readouterr().err
    assert code == 2
    assert "~/.config/obsconsole/config.yaml" in err and "XDG_CONFIG_HOME" not in err


# --------------------------------------------------------------------------- demo audit


def test_obsconsole_demo_audits_apart_from_the_real_audit_log(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Acks on the synthetic platform never land in the real audit log."""
    from obsconsole.ui.app import ObsConsoleApp

    started: list[Path] = []
    monkeypatch.setattr(ObsConsoleApp, "run", lambda self, *a, **k: started.append(self.audit.path))
    assert main(["demo"]) == 0
    assert started == [isolated_env / "state" / "obsconsole" / "demo-audit.jsonl"]
