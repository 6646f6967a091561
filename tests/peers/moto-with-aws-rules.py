#!/usr/bin/env python3
"""moto's server (the `moto_server` command) with two of AWS's rules that moto 5.2.1 gets wrong, for the tests and the demo.

Usage: INITIAL_NO_AUTH_ACTION_COUNT=N python3 moto-with-aws-rules.py [--host 127.0.0.1] [--port 0]
Prints "listening on http://HOST:PORT" once it accepts connections (port 0: a free one), then serves until killed.
With INITIAL_NO_AUTH_ACTION_COUNT=N (moto's own setting), the first N requests are not checked, to create the first
administrator; every request after that has its SigV4 signature, its session token and its IAM policies checked.

The two rules:
1. SigV4's canonical query string encodes '/' in a value as %2F. moto rebuilds the query from the URL that its web
   server (werkzeug) decodes, so any signed request with a '/' in a query value (a ListObjectsV2 with Prefix=a/b/) is
   refused with SignatureDoesNotMatch. AWS accepts it. Here the query is encoded again before moto checks the signature.
2. A StringEquals condition on a key the request does not carry is not met (AWS: a condition on a missing key is
   false). moto treats it as met, so an AssumeRole without ExternalId passes a trust policy that requires
   sts:ExternalId. Here it fails, as on AWS.
Each fix applies only if moto still has the code it corrects, and says on stderr when it does not.
"""

import argparse
import os
import sys
from urllib.parse import quote, unquote


def fix_canonical_query() -> None:
    from moto.iam import access_control

    base = getattr(access_control, "IAMRequestBase", None)
    if base is None or not hasattr(base, "_create_aws_request"):
        print("moto-with-aws-rules: IAMRequestBase._create_aws_request not found; query fix not applied", file=sys.stderr)
        return

    original = base._create_aws_request

    def create_aws_request(self):  # type: ignore[no-untyped-def]
        path, _, query = self._path.partition("?")
        if query:
            pairs = (pair.partition("=") for pair in query.split("&"))
            query = "&".join(
                f"{quote(unquote(key), safe='-_.~')}{sep}{quote(unquote(value), safe='-_.~')}" for key, sep, value in pairs
            )
            self._path = f"{path}?{query}"
        return original(self)

    base._create_aws_request = create_aws_request


def fix_missing_condition_key() -> None:
    from moto.iam import policy_conditions

    condition = getattr(policy_conditions, "TrustCondition", None)
    if condition is None or not hasattr(condition, "verify_condition") or not hasattr(condition, "context_keys"):
        print("moto-with-aws-rules: TrustCondition.verify_condition not found; condition fix not applied", file=sys.stderr)
        return

    original = condition.verify_condition
    operations = getattr(policy_conditions, "CONDITION_OPERATIONS", {})

    def verify_condition(self, actual_values):  # type: ignore[no-untyped-def]
        if getattr(self, "_condition", None) in operations and len(actual_values) < len(self.context_keys):
            return False
        return original(self, actual_values)

    condition.verify_condition = verify_condition


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()

    from werkzeug.serving import make_server

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    fix_canonical_query()
    fix_missing_condition_key()
    server = make_server(args.host, args.port, DomainDispatcherApplication(create_backend_app), threaded=True)
    os.environ["MOTO_PORT"] = str(server.server_port)
    print(f"listening on http://{args.host}:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
