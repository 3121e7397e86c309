"""The demo estate and the `nhigraph demo` flow."""
