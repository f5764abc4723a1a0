"""Real parts for the tests: fixture servers, the daemon as a subprocess, X/D-Bus/keyring sessions."""
