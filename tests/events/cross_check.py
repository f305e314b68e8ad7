#!/usr/bin/env python3
"""Independent reading of the event formats with Python's json, gzip and urllib, for
cross_check_test.cc: prints, per input file, the restore events a correct parser must find as
[kind, bucket, key, version_id, event_id] lists, in input order. Written from the AWS formats,
not from the C++ code; a document or SQS message that Python cannot read yields nothing."""
import gzip
import json
import re
import sys
import urllib.parse

READS = {"GetObject", "HeadObject", "SelectObjectContent"}
NOTIFY = {"ObjectRestore:Post": "restore-initiated", "ObjectRestore:Completed": "restore-completed",
          "ObjectRestore:Delete": "restore-expired"}
EVENTBRIDGE = {"Object Restore Initiated": "restore-initiated",
               "Object Restore Completed": "restore-completed",
               "Object Restore Expired": "restore-expired"}
ACCESS_READS = {"REST.GET.OBJECT", "REST.HEAD.OBJECT", "REST.COPY.OBJECT_GET", "REST.COPY.PART_GET"}


def cloudtrail(rec, envelope=None):
    if rec.get("eventSource") != "s3.amazonaws.com" or rec.get("eventName") not in READS:
        return []
    if rec.get("errorCode") != "InvalidObjectState":
        return []
    params = rec.get("requestParameters") or {}
    event_id = rec.get("eventID") or (envelope or {}).get("id", "")
    return [["restore-wanted", params["bucketName"], params["key"], params.get("versionId", ""),
             event_id]]


def notification(rec):
    name = rec["eventName"]
    kind = NOTIFY.get(name[3:] if name.startswith("s3:") else name)
    if not kind:
        return []
    obj = rec["s3"]["object"]
    request_id = (rec.get("responseElements") or {}).get("x-amz-request-id", "")
    return [[kind, rec["s3"]["bucket"]["name"], urllib.parse.unquote_plus(obj["key"]),
             obj.get("versionId") or "", "%s:%s:%s" % (kind, request_id, obj.get("sequencer", ""))]]


def eventbridge(doc):
    if doc["detail-type"] == "AWS API Call via CloudTrail":
        return cloudtrail(doc["detail"], doc)
    kind = EVENTBRIDGE.get(doc["detail-type"])
    if not kind or doc.get("source") != "aws.s3":
        return []
    detail = doc["detail"]
    obj = detail["object"]
    return [[kind, detail["bucket"]["name"], urllib.parse.unquote_plus(obj["key"]),
             obj.get("version-id", ""),
             "%s:%s:%s" % (kind, detail.get("request-id", ""), obj.get("sequencer", ""))]]


def access_log(text):
    out = []
    for line in text.splitlines():
        fields = re.findall(r'"[^"]*"|\[[^\]]*\]|\S+', line)
        if len(fields) < 11 or any(f.startswith('"') and not f.endswith('"') for f in fields):
            continue
        if line.count('"') % 2:
            continue  # a quoted field cut short
        if fields[6] not in ACCESS_READS or fields[10] != "InvalidObjectState":
            continue
        version = fields[17] if len(fields) > 17 and fields[17] != "-" else ""
        out.append(["restore-wanted", fields[1], urllib.parse.unquote(fields[7]), version,
                    "accesslog:" + fields[5]])
    return out


def message(data):
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    text = data.decode("utf-8-sig")
    if not text.lstrip().startswith("{"):
        return access_log(text)
    doc = json.loads(text)
    if "Records" in doc:
        out = []
        for rec in doc["Records"]:
            if rec.get("eventSource") == "aws:sqs":
                try:
                    out += message(rec["body"].encode())
                except (ValueError, KeyError, TypeError):
                    pass  # that message fails alone
            elif rec.get("EventSource") == "aws:sns":
                out += message(rec["Sns"]["Message"].encode())
            elif rec.get("eventSource", "").endswith(":s3"):
                out += notification(rec)
            else:
                out += cloudtrail(rec)
        return out
    if "detail-type" in doc:
        return eventbridge(doc)
    if doc.get("Type") == "Notification":
        return message(doc["Message"].encode())
    return []


if __name__ == "__main__":
    result = {}
    for path in sys.argv[1:]:
        with open(path, "rb") as f:
            result[path] = message(f.read())
    json.dump(result, sys.stdout, ensure_ascii=False)
