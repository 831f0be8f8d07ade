"""Protocol stand-ins for backends that cannot be installed in the test environment."""
