"""Every test folder's first conftest: no proxy from the environment.

The tests send traffic to loopback only. httpx and requests send it to a proxy named by
HTTP_PROXY / HTTPS_PROXY / ALL_PROXY when one is set, as CI machines sometimes do, and a
proxy is another host: the variables are removed for the whole run (subprocesses
inherit the cleaned environment).
"""

import os

for _name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
    os.environ.pop(_name, None)
    os.environ.pop(_name.lower(), None)
