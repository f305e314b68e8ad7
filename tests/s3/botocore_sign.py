#!/usr/bin/env python3
"""Signs S3 requests with botocore, as a reference for tests/s3/sigv4_botocore_test.cc.

Reads a JSON list of cases on stdin and writes a JSON list of results, one per case in the same
order, on stdout. The URL is built here the way botocore builds S3 URLs, so the C++ test checks
its own URL encoding against botocore's as well as the signature.

A case:
  method, endpoint ("https://bucket.s3.us-east-1.amazonaws.com"), path (the unencoded path after
  the first '/', e.g. an object key), query ([[name, value]]; a null value writes the name alone,
  as in "?restore"), headers ([[name, value]]; repeats allowed), body (text), access_key,
  secret_key, token ("" for none), region, timestamp ("20130524T000000Z"),
  payload ("sha256" or "unsigned"), presign_expires (seconds; optional).
A result:
  url, authorization, headers (after signing), canonical_request, string_to_sign, and with
  presign_expires: presigned_url, presign_canonical_request, presign_string_to_sign.

botocore reads the clock through botocore.auth.get_current_datetime; patching it pins the
signing time, as botocore's own tests do.
"""

import datetime
import json
import sys
from unittest import mock

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.utils import percent_encode


class _Recording:
    """Keeps the canonical request and string to sign that botocore computed."""

    # Not named canonical_request: that is a botocore method.
    recorded_canonical_request = None
    recorded_string_to_sign = None

    def string_to_sign(self, request, canonical_request):
        self.recorded_canonical_request = canonical_request
        self.recorded_string_to_sign = super().string_to_sign(request, canonical_request)
        return self.recorded_string_to_sign


class RecordingS3SigV4Auth(_Recording, S3SigV4Auth):
    pass


class RecordingS3SigV4QueryAuth(_Recording, S3SigV4QueryAuth):
    pass


def build_url(case):
    # botocore's REST serializer encodes a greedy label ({Key+}) with safe='/~' and query
    # parameters with percent_encode (safe '-._~'); subresources such as "?restore" come from
    # the operation's URI template as bare names.
    url = case['endpoint'] + '/' + percent_encode(case['path'], safe='/~')
    pieces = []
    for name, value in case['query']:
        if value is None:
            pieces.append(percent_encode(name))
        else:
            pieces.append(f'{percent_encode(name)}={percent_encode(value)}')
    if pieces:
        url += '?' + '&'.join(pieces)
    return url


def make_request(case, url, body):
    request = AWSRequest(method=case['method'], url=url, data=body)
    for name, value in case['headers']:
        request.headers[name] = value  # appends, so repeated names stay repeated
    signing = case['payload'] == 'sha256'
    request.context['client_config'] = Config(s3={'payload_signing_enabled': signing})
    return request


def sign(case):
    credentials = Credentials(
        case['access_key'], case['secret_key'], case['token'] or None
    )
    now = datetime.datetime.strptime(case['timestamp'], '%Y%m%dT%H%M%SZ')
    url = build_url(case)
    result = {'url': url}
    with mock.patch('botocore.auth.get_current_datetime', return_value=now):
        request = make_request(case, url, case['body'].encode('utf-8'))
        signer = RecordingS3SigV4Auth(credentials, 's3', case['region'])
        signer.add_auth(request)
        result['authorization'] = request.headers['Authorization']
        result['headers'] = [[k, v] for k, v in request.headers.items()]
        result['canonical_request'] = signer.recorded_canonical_request
        result['string_to_sign'] = signer.recorded_string_to_sign
        if case.get('presign_expires'):
            # A presigned URL carries no body (botocore would move a body into the query).
            request = make_request(case, url, b'')
            presigner = RecordingS3SigV4QueryAuth(
                credentials, 's3', case['region'], expires=case['presign_expires']
            )
            presigner.add_auth(request)
            result['presigned_url'] = request.url
            result['presign_canonical_request'] = presigner.recorded_canonical_request
            result['presign_string_to_sign'] = presigner.recorded_string_to_sign
    return result


def main():
    cases = json.load(sys.stdin)
    json.dump([sign(case) for case in cases], sys.stdout, ensure_ascii=False)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
