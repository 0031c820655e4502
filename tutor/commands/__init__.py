"""Command groups of the ``tutor`` CLI, one module each (see ``tutor.cli.build_parser``).

A module defines ``register(subparsers, add_common)``: it adds its parsers, calls
``add_common(parser)`` for the shared options, and sets ``handler=fn(args, settings) -> int``
with ``parser.set_defaults``.
"""
