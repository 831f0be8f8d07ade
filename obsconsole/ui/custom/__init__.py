"""What a user customises: themes and keymaps, shipped and their own, loaded the same way."""
