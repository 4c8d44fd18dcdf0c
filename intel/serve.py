"""Run the Streamlit server for app.py with the dashboard's modules imported before any session.

`python -m intel.serve [streamlit flags]`, which `intel dashboard` runs. Streamlit executes app.py
only when a browser connects, so the first visitor would otherwise pay for importing SQLAlchemy,
SQLModel and the store (about 0.4 s on 2 cores); imported here, they are already in `sys.modules`.
"""

from __future__ import annotations

import sys

from intel.config import ROOT

APP = ROOT / "app.py"


def main(argv: list[str]) -> int:
    """Serve app.py with these Streamlit flags; returns Streamlit's exit status."""
    from streamlit.web import cli as streamlit_cli

    import intel.dashboard  # noqa: F401  (imported for their side effect: warm sys.modules)
    import intel.store.browse  # noqa: F401

    sys.argv = ["streamlit", "run", str(APP), *argv]
    try:
        streamlit_cli.main()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
