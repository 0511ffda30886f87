"""Schemathesis hooks for bench/schemathesis.sh: keep the keys it fuzzes with alive.

Schemathesis reuses values it saw in responses, and GET /v1/keys lists the key names, so an
admin run soon revokes (DELETE) or throttles (PATCH) the very keys the runs authenticate with;
every request after that is a 401 or 429 and tests nothing. A request naming one of those keys
(PLUSK_PROTECTED_KEYS, comma-separated) is sent to a name that does not exist instead.
"""

import os

import schemathesis

PROTECTED = {name.lower() for name in os.environ.get("PLUSK_PROTECTED_KEYS", "").split(",") if name}


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.operation.path != "/v1/keys/{name}" or not isinstance(case.path_parameters, dict):
        return
    name = case.path_parameters.get("name")
    if isinstance(name, str) and name.strip().lower() in PROTECTED:
        case.path_parameters["name"] = f"not-{name.strip()}"
