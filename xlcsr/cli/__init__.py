"""The `xlcsr` command line (typer): `app` wires the verbs, `options` and `render` serve them all.

Top layer: imports `app` and below; each verb parses, calls one app function, renders, exits 0/1/2.
"""
