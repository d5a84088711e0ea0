"""A stand-in for the service under test in compose.yaml: logs in to the emulator and reads data.

Standard library only, so it runs in a bare python image.
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.parse
import urllib.request
from typing import Any

URL = os.environ.get("VTIGER_URL", "http://127.0.0.1:8000/webservice.php")
USERNAME = os.environ.get("VTIGER_USERNAME", "admin")
ACCESS_KEY = os.environ.get("VTIGER_ACCESS_KEY", "vtigerMockAdmin1")


def call(method: str, **params: str) -> Any:
    data = urllib.parse.urlencode(params)
    if method == "GET":
        request = urllib.request.Request(f"{URL}?{data}")
    else:
        request = urllib.request.Request(URL, data=data.encode(), method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        envelope = json.loads(response.read())
    if not envelope["success"]:
        raise RuntimeError(f"{envelope['error']['code']}: {envelope['error']['message']}")
    return envelope["result"]


def main() -> None:
    token = call("GET", operation="getchallenge", username=USERNAME)["token"]
    key = hashlib.md5((token + ACCESS_KEY).encode()).hexdigest()
    session = call("POST", operation="login", username=USERNAME, accessKey=key)["sessionName"]
    count = call("GET", operation="query", sessionName=session, query="SELECT count(*) FROM Accounts;")
    rows = call(
        "GET",
        operation="query",
        sessionName=session,
        query="SELECT accountname, bill_city FROM Accounts LIMIT 3;",
    )
    print(f"logged in as {USERNAME}; {count[0]['count']} organisations, e.g.:")
    for row in rows:
        print(f"  {row['accountname']} ({row['bill_city']})")


if __name__ == "__main__":
    main()
