"""``python -m lockgate`` is the ``lockgate`` command."""

from lockgate.cli import main

main()
