"""Runs Debian's aws CLI v2 (package awscli, /usr/lib/python3/dist-packages) with the system Python.

Called as `/usr/bin/python3 -I tests/sim/py/aws_v2.py ARGS...`. -I keeps PYTHONPATH and the user's
site-packages out; dropping /usr/local from sys.path keeps a pip-installed aws CLI v1
(/usr/local/lib/python3.X/dist-packages/awscli) from shadowing the Debian package, which
/usr/bin/aws would import otherwise. v2 vendors its own botocore (awscli.botocore).
"""
import sys

sys.path = [p for p in sys.path if not p.startswith("/usr/local/")]

import awscli  # noqa: E402
import awscli.clidriver  # noqa: E402

if not awscli.__version__.startswith("2."):
    sys.exit(f"aws_v2.py: found aws CLI {awscli.__version__} at {awscli.__file__}, not v2; "
             "install Debian's awscli package (scripts/install-deps)")
sys.exit(awscli.clidriver.main())
