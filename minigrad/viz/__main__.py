"""``python -m minigrad.viz``: the ``minigrad graph`` command."""
from .graph import main

raise SystemExit(main())
