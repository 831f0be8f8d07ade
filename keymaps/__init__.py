"""Package marker: ships the keymaps/*.yaml files inside the wheel as obsconsole.keymaps."""
