"""The model catalog: catalog.json lists every model the app knows (see README.md)."""
