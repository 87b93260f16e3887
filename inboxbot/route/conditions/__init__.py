"""The conditions [[rule]] names, one module per theme, gathered in `catalog`."""
