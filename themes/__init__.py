"""Package marker: ships the themes/*.yaml files inside the wheel as obsconsole.themes."""
