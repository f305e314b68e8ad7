#!/usr/bin/env python3
"""Checks deploy/thaw.yaml: cfn-lint passes with no error or warning; the EventBridge rule
patterns, as written in the template, select exactly the events thaw wants when EventBridge
(moto's implementation: a matcher we did not write) routes them to an SQS queue; and the IAM
statements stay least-privilege (no wildcard resources, S3 actions only on the watched buckets).

moto 5 does not implement TestEventPattern, so the patterns are exercised end to end instead:
a rule with the template's pattern targets a queue, events are put on the default bus, and the
queue shows which matched.
Usage: template_test.py SOURCE_DIR
"""
import copy
import json
import os
import subprocess
import sys
import unittest

from cfnlint.decode import decode  # cfn-lint's own YAML loader (understands !Ref, !Sub...)

SOURCE_DIR = sys.argv.pop(1) if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../..")
TEMPLATE = os.path.join(SOURCE_DIR, "deploy", "thaw.yaml")
FIXTURE = os.path.join(SOURCE_DIR, "tests", "events", "data", "eventbridge_cloudtrail_getobject.json")
RESTORE_FIXTURE = os.path.join(SOURCE_DIR, "tests", "events", "data",
                               "eventbridge_restore_completed.json")
BUCKETS = ["archive-bucket", "second-bucket"]


def load_template():
    template, matches = decode(TEMPLATE)
    assert not matches, matches
    return template


def resolve(node, params):
    """Replaces {"Ref": <parameter>} by the parameter's value (enough for the event patterns)."""
    if isinstance(node, dict):
        if list(node) == ["Ref"] and node["Ref"] in params:
            return params[node["Ref"]]
        return {k: resolve(v, params) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v, params) for v in node]
    return node


class CfnLint(unittest.TestCase):
    def test_no_errors_or_warnings(self):
        r = subprocess.run(["cfn-lint", "--format", "parseable", TEMPLATE], capture_output=True,
                           text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout.strip(), "")


class EventPatterns(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        resources = load_template()["Resources"]
        params = {"BucketNames": BUCKETS}
        cls.archived_read = resolve(resources["ArchivedReadRule"]["Properties"]["EventPattern"],
                                    params)
        cls.restore_completed = resolve(
            resources["RestoreCompletedRule"]["Properties"]["EventPattern"], params)
        with open(FIXTURE) as f:
            cls.sample = json.load(f)
        with open(RESTORE_FIXTURE) as f:
            cls.restore_sample = json.load(f)

    def matched(self, pattern, events):
        """Which of `events` (EventBridge envelopes) a rule with `pattern` delivers."""
        import boto3
        from moto import mock_aws
        with mock_aws():
            sqs = boto3.client("sqs", region_name="us-east-1")
            ev = boto3.client("events", region_name="us-east-1")
            url = sqs.create_queue(QueueName="thaw-test")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
                "Attributes"]["QueueArn"]
            ev.put_rule(Name="thaw-rule", EventPattern=json.dumps(pattern), State="ENABLED")
            ev.put_targets(Rule="thaw-rule", Targets=[{"Id": "q", "Arn": arn}])
            for i, e in enumerate(events):
                detail = copy.deepcopy(e["detail"])
                detail["__test_index"] = i
                r = ev.put_events(Entries=[{"Source": e["source"], "DetailType": e["detail-type"],
                                            "Detail": json.dumps(detail)}])
                self.assertEqual(r["FailedEntryCount"], 0, r)
            got = []
            while True:
                msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
                if not msgs:
                    break
                for m in msgs:
                    got.append(json.loads(m["Body"])["detail"]["__test_index"])
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            return sorted(got)

    def variant(self, **changes):
        e = copy.deepcopy(self.sample)
        for path, value in changes.items():
            node = e["detail"]
            parts = path.split("__")
            for p in parts[:-1]:
                node = node[p]
            if value is None:
                node.pop(parts[-1], None)
            else:
                node[parts[-1]] = value
        return e

    def test_archived_read_rule(self):
        events = [
            self.sample,                                             # 0 the facts doc's event
            self.variant(errorCode=None, errorMessage=None),         # 1 a successful GetObject
            self.variant(errorCode="AccessDenied"),                  # 2 another failure
            self.variant(requestParameters__bucketName="unwatched"),  # 3 another bucket
            self.variant(requestParameters__bucketName="second-bucket"),  # 4 second bucket
            self.variant(eventName="HeadObject"),                    # 5 HEAD (compatible stores)
            self.variant(eventName="RestoreObject"),                 # 6 thaw's own call
            self.restore_sample,                                     # 7 another detail-type
        ]
        self.assertEqual(self.matched(self.archived_read, events), [0, 4, 5])

    def test_restore_completed_rule(self):
        other_bucket = copy.deepcopy(self.restore_sample)
        other_bucket["detail"]["bucket"]["name"] = "unwatched"
        initiated = copy.deepcopy(self.restore_sample)
        initiated["detail-type"] = "Object Restore Initiated"
        events = [self.restore_sample, other_bucket, initiated, self.sample]
        self.assertEqual(self.matched(self.restore_completed, events), [0])


class LeastPrivilege(unittest.TestCase):
    def statements(self):
        resources = load_template()["Resources"]
        for name, res in resources.items():
            props = res.get("Properties", {})
            docs = []
            if res["Type"] == "AWS::IAM::Role":
                docs = [p["PolicyDocument"] for p in props.get("Policies", [])]
            elif res["Type"] == "AWS::IAM::ManagedPolicy":
                docs = [props["PolicyDocument"]]
            for d in docs:
                for st in d["Statement"]:
                    yield name, st

    def test_no_wildcard_resources(self):
        n = 0
        for name, st in self.statements():
            n += 1
            self.assertNotIn("*", json.dumps(st.get("Resource")).split('"'), (name, st))
            actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            self.assertFalse(any(a.endswith("*") for a in actions), (name, st))
        self.assertGreater(n, 3)

    def test_s3_actions_only_on_watched_buckets(self):
        found = 0
        for name, st in self.statements():
            actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            if not any(a.startswith("s3:") for a in actions):
                continue
            found += 1
            self.assertEqual(sorted(actions), ["s3:GetObject", "s3:RestoreObject"], name)
            arns = resolve(st["Resource"], {"BucketNames": BUCKETS})
            # !Split [",", !Sub [... !Join ...]]: evaluate the three functions for BUCKETS.
            sub = arns["Fn::Split"][1]["Fn::Sub"]
            joined = sub[1]["Joined"]["Fn::Join"]
            value = sub[0].replace("${Joined}", joined[0].join(joined[1]))
            self.assertEqual(value.split(arns["Fn::Split"][0]),
                             ["arn:aws:s3:::archive-bucket/*", "arn:aws:s3:::second-bucket/*"])
        self.assertEqual(found, 2)  # the function's role and the serve policy


BATCH_TEMPLATE = os.path.join(SOURCE_DIR, "deploy", "batch-operations-role.yaml")


def split_sub_join(node, buckets):
    """Evaluates !Split [",", !Sub [TEMPLATE, {Joined: !Join [SEP, !Ref BucketNames]}]]."""
    arns = resolve(node, {"BucketNames": buckets})
    sub = arns["Fn::Split"][1]["Fn::Sub"]
    joined = sub[1]["Joined"]["Fn::Join"]
    return sub[0].replace("${Joined}", joined[0].join(joined[1])).split(arns["Fn::Split"][0])


class BatchOperationsRole(unittest.TestCase):
    """deploy/batch-operations-role.yaml: the role S3 Batch Operations assumes may restore the
    named buckets' objects, read thaw's manifests and write reports, and nothing else."""

    @classmethod
    def setUpClass(cls):
        template, matches = decode(BATCH_TEMPLATE)
        assert not matches, matches
        cls.resources = template["Resources"]

    def statements(self, resource):
        props = self.resources[resource]["Properties"]
        if "Policies" in props:
            return [st for p in props["Policies"] for st in p["PolicyDocument"]["Statement"]]
        return props["PolicyDocument"]["Statement"]

    def test_cfn_lint_clean(self):
        r = subprocess.run(["cfn-lint", "--format", "parseable", BATCH_TEMPLATE],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout.strip(), "")

    def test_trusted_by_batch_operations_of_this_account_only(self):
        trust = self.resources["BatchOperationsRole"]["Properties"]["AssumeRolePolicyDocument"]
        (st,) = trust["Statement"]
        self.assertEqual(st["Principal"], {"Service": "batchoperations.s3.amazonaws.com"})
        self.assertEqual(st["Action"], "sts:AssumeRole")
        self.assertEqual(st["Condition"]["StringEquals"]["aws:SourceAccount"],
                         {"Ref": "AWS::AccountId"})

    def test_role_least_privilege(self):
        by_sid = {st["Sid"]: st for st in self.statements("BatchOperationsRole")}
        self.assertEqual(sorted(by_sid), ["ReadManifests", "ReportBucketLocation",
                                          "RestoreNamedBuckets", "WriteReports"])
        for st in by_sid.values():
            self.assertEqual(st["Effect"], "Allow")
            self.assertNotIn("*", json.dumps(st["Resource"]).split('"'), st)
        restore = by_sid["RestoreNamedBuckets"]
        self.assertEqual(restore["Action"], "s3:RestoreObject")
        self.assertEqual(split_sub_join(restore["Resource"], BUCKETS),
                         ["arn:aws:s3:::archive-bucket/*", "arn:aws:s3:::second-bucket/*"])
        self.assertEqual(sorted(by_sid["ReadManifests"]["Action"]),
                         ["s3:GetObject", "s3:GetObjectVersion"])
        self.assertEqual(by_sid["ReadManifests"]["Resource"],
                         {"Fn::Sub": "arn:aws:s3:::${ReportBucket}/${ReportPrefix}/manifests/*"})
        self.assertEqual(by_sid["WriteReports"]["Action"], "s3:PutObject")
        self.assertEqual(by_sid["WriteReports"]["Resource"],
                         {"Fn::Sub": "arn:aws:s3:::${ReportBucket}/${ReportPrefix}/job-*"})

    def test_operator_passes_only_this_role_to_s3(self):
        by_sid = {st["Sid"]: st for st in self.statements("OperatorPolicy")}
        passrole = by_sid["PassRoleToBatchOperations"]
        self.assertEqual(passrole["Resource"], {"Fn::GetAtt": ["BatchOperationsRole", "Arn"]})
        self.assertEqual(passrole["Condition"]["StringEquals"]["iam:PassedToService"],
                         "s3.amazonaws.com")
        # Only actions without a resource type (CreateJob, ListJobs, GetCallerIdentity) get "*".
        for sid, st in by_sid.items():
            actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            if st["Resource"] == "*":
                self.assertTrue(set(actions) <= {"s3:CreateJob", "s3:ListJobs",
                                                 "sts:GetCallerIdentity"}, sid)
        self.assertEqual(split_sub_join(by_sid["HeadNamedObjects"]["Resource"], BUCKETS),
                         ["arn:aws:s3:::archive-bucket/*", "arn:aws:s3:::second-bucket/*"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
