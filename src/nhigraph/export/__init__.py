"""Writers that turn a workspace graph into files other tools read."""
