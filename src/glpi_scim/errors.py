"""The root of every exception glpi-scim raises on purpose.

Standard library only, and it imports nothing: every layer may import it, the SCIM core
included. docs/architecture.md, "Errors", shows the tree below it, who raises each family and
what the web layer and the CLI make of it.
"""


class GlpiScimError(Exception):
    """An error glpi-scim raises on purpose; `str(error)` is a sentence meant for a person.

    Anything else that reaches the web layer is a bug (500, logged with the request id), and
    in the CLI a traceback under --debug.
    """
