"""Public pages: home."""
