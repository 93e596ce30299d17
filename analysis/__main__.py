"""``python -m analysis`` is the same as the ``policyshift`` console script."""

from analysis.cli import main

raise SystemExit(main())
