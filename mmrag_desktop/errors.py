"""The one exception type users see. Its message is a complete sentence the CLI prints
as one line and the GUI shows in a dialog; anything else escaping is a bug."""


class MMRagError(Exception):
    """A failure the user can act on: missing path, unreadable database, bad model file."""
