#!/usr/bin/env python3
"""moto's server (the `moto_server` command) with five of AWS's rules that moto 5.2.1 lacks or gets wrong, for the tests and the demo.

Usage: INITIAL_NO_AUTH_ACTION_COUNT=N python3 moto-with-aws-rules.py [--host 127.0.0.1] [--port 0]
Prints "listening on http://HOST:PORT" once it accepts connections (port 0: a free one), then serves until killed.
With INITIAL_NO_AUTH_ACTION_COUNT=N (moto's own setting), the first N requests are not checked, to create the first
administrator; every request after that has its SigV4 signature, its session token and its IAM policies checked.

The five rules:
1. SigV4's canonical query string encodes '/' in a value as %2F. moto rebuilds the query from the URL that its web
   server (werkzeug) decodes, so any signed request with a '/' in a query value (a ListObjectsV2 with Prefix=a/b/) is
   refused with SignatureDoesNotMatch. AWS accepts it. Here the query is encoded again before moto checks the signature.
2. A StringEquals condition on a key the request does not carry is not met (AWS: a condition on a missing key is
   false). moto treats it as met, so an AssumeRole without ExternalId passes a trust policy that requires
   sts:ExternalId. Here it fails, as on AWS.
3. S3 checks an object PUT's body: one that does not hash to its signed x-amz-content-sha256 is refused with 400
   XAmzContentSHA256Mismatch, and one that does not match its Content-MD5 or x-amz-checksum-sha256 with 400 BadDigest;
   nothing is stored. moto stores it. (tests/peers/s3rver-with-checksums.js adds the same BadDigest check to s3rver.)
4. A PutObject that sets an ACL (an x-amz-acl or x-amz-grant-* header) needs s3:PutObjectAcl as well as s3:PutObject, and
   is refused with 403 AccessDenied without it. moto checks only s3:PutObject, so a role whose policy lacks
   s3:PutObjectAcl passed `rawdata verify` here and failed on AWS.
5. An S3 request with an x-amz-expected-bucket-owner header (a PutObject's ExpectedBucketOwner) that names an account
   other than the bucket's owner is refused with 403 AccessDenied, as AWS answers it, and does nothing. moto ignores
   the header for PutObject and writes. Path-style requests only (the bucket is the path's first part).
Fixes 1, 2, 4 and 5 apply only if moto still has the code they correct, and say on stderr when it does not.
"""

import argparse
import base64
import hashlib
import io
import os
import sys
from urllib.parse import parse_qs, quote, unquote


def patchable(module, class_name: str, fix: str, method: str, *attributes: str):  # type: ignore[no-untyped-def]
    """The class of `module` whose `method` a fix replaces, or None, said on stderr, when moto no longer has it (or them)."""
    found = getattr(module, class_name, None)
    if found is None or not all(hasattr(found, name) for name in (method, *attributes)):
        print(f"moto-with-aws-rules: {class_name}.{method} not found; {fix} not applied", file=sys.stderr)
        return None
    return found


def fix_canonical_query() -> None:
    from moto.iam import access_control

    base = patchable(access_control, "IAMRequestBase", "query fix", "_create_aws_request")
    if base is None:
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

    condition = patchable(policy_conditions, "TrustCondition", "condition fix", "verify_condition", "context_keys")
    if condition is None:
        return

    original = condition.verify_condition
    operations = getattr(policy_conditions, "CONDITION_OPERATIONS", {})

    def verify_condition(self, actual_values):  # type: ignore[no-untyped-def]
        if getattr(self, "_condition", None) in operations and len(actual_values) < len(self.context_keys):
            return False
        return original(self, actual_values)

    condition.verify_condition = verify_condition


def require_acl_permission() -> None:
    from moto.iam import access_control

    request = patchable(access_control, "S3IAMRequest", "ACL rule", "check_action_permitted")
    if request is None:
        return

    original = request.check_action_permitted

    def check_action_permitted(self, resource: str) -> None:  # type: ignore[no-untyped-def]
        original(self, resource)
        headers = {name.lower() for name in self._headers.keys()}
        sets_acl = "x-amz-acl" in headers or any(name.startswith("x-amz-grant-") for name in headers)
        if getattr(self, "_action", None) == "s3:PutObject" and sets_acl:
            self._action = "s3:PutObjectAcl"
            try:
                original(self, resource)
            finally:
                self._action = "s3:PutObject"

    request.check_action_permitted = check_action_permitted


def s3_error(start_response, code: str, message: str, status: str = "400 Bad Request"):  # type: ignore[no-untyped-def]
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>moto-with-aws-rules</RequestId></Error>"
    ).encode()
    start_response(status, [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
    return [body]


def check_expected_bucket_owner(app):  # type: ignore[no-untyped-def]
    """Rule 5, as WSGI middleware in front of moto: a signed path-style S3 request naming another owner than the bucket's."""
    try:
        from moto.s3.models import s3_backends

        owners = s3_backends.bucket_accounts  # bucket name -> (partition, account id), kept by moto for every bucket
    except (ImportError, AttributeError):
        print("moto-with-aws-rules: s3_backends.bucket_accounts not found; expected bucket owner rule not applied", file=sys.stderr)
        return app

    def checked(environ, start_response):  # type: ignore[no-untyped-def]
        expected = environ.get("HTTP_X_AMZ_EXPECTED_BUCKET_OWNER")
        bucket = environ.get("PATH_INFO", "").strip("/").split("/", 1)[0]
        owner = owners.get(bucket) if expected is not None and "/s3/aws4_request" in environ.get("HTTP_AUTHORIZATION", "") else None
        if owner is None or owner[1] == expected:
            return app(environ, start_response)

        # Refused before it is done: read the body the client sends anyway, so the connection stays usable.
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > 0:
            environ["wsgi.input"].read(length)
        return s3_error(start_response, "AccessDenied", "Access Denied", "403 Forbidden")

    return checked


def check_object_bodies(app):  # type: ignore[no-untyped-def]
    """Rule 3, as WSGI middleware in front of moto: path-style object PUTs whose body is not aws-chunked."""

    def checked(environ, start_response):  # type: ignore[no-untyped-def]
        path = environ.get("PATH_INFO", "")
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        content_sha256 = environ.get("HTTP_X_AMZ_CONTENT_SHA256", "")
        is_object_put = (
            environ.get("REQUEST_METHOD") == "PUT"
            and "/s3/aws4_request" in environ.get("HTTP_AUTHORIZATION", "")
            and len(path.strip("/").split("/", 1)) == 2
            and "HTTP_X_AMZ_COPY_SOURCE" not in environ
            and not {"uploadId", "partNumber", "acl", "tagging"} & query.keys()
            and not content_sha256.startswith("STREAMING-")
        )
        if not is_object_put:
            return app(environ, start_response)

        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)
        if len(content_sha256) == 64 and hashlib.sha256(body).hexdigest() != content_sha256.lower():
            return s3_error(start_response, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.")
        md5 = environ.get("HTTP_CONTENT_MD5")
        if md5 is not None and base64.b64encode(hashlib.md5(body).digest()).decode() != md5:
            return s3_error(start_response, "BadDigest", "The Content-MD5 you specified did not match what we received.")
        sha256 = environ.get("HTTP_X_AMZ_CHECKSUM_SHA256")
        if sha256 is not None and base64.b64encode(hashlib.sha256(body).digest()).decode() != sha256:
            return s3_error(start_response, "BadDigest", "The SHA256 you specified did not match the calculated checksum.")
        return app(environ, start_response)

    return checked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()

    from werkzeug.serving import make_server

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    fix_canonical_query()
    fix_missing_condition_key()
    require_acl_permission()
    app = check_expected_bucket_owner(check_object_bodies(DomainDispatcherApplication(create_backend_app)))
    server = make_server(args.host, args.port, app, threaded=True)
    os.environ["MOTO_PORT"] = str(server.server_port)
    print(f"listening on http://{args.host}:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
