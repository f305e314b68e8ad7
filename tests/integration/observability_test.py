#!/usr/bin/env python3
"""Observability against real processes: a real `thaw mount` of `thaw sim` (needs root and
/dev/fuse) and a real `thaw serve` on a moto_server queue, each with --metrics-listen and
--log-format json. Reads a hot and an archived file through the mount, scrapes /metrics and
checks that the counters moved by what was done; checks that every log line is one JSON object;
also that every line the processes write to stderr and stdout is one (errors, status lines,
libfuse's messages); and checks that every metric the Grafana dashboard (deploy/grafana/thaw.json) queries is one
that these processes export.
Usage: observability_test.py SOURCE_DIR THAW_BINARY
"""
import errno
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

import boto3
from botocore.config import Config

SOURCE_DIR, THAW = sys.argv[1], sys.argv[2]
del sys.argv[1:3]
HOT = os.urandom(3 * 1024 * 1024 + 17)
COLD = os.urandom(256 * 1024)
# Metric families seen in the scrapes, by process (filled by the tests, read by the last one).
SCRAPED = {}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(url):
    with urllib.request.urlopen(url + "/metrics", timeout=10) as r:
        return r.read().decode()


def samples(text):
    """{'name{labels}': value} of a text-format scrape, and the set of family names."""
    values, families = {}, set()
    for line in text.splitlines():
        m = re.match(r"# TYPE (\S+) (\S+)", line)
        if m:
            families.add(m.group(1))
            if m.group(2) == "histogram":
                families.update(m.group(1) + s for s in ("_bucket", "_sum", "_count"))
            continue
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            values[key] = float(value)
    return values, families


def json_lines(text):
    lines = [l for l in text.splitlines() if l.strip()]
    objects = []
    for line in lines:
        obj = json.loads(line)  # raises on anything that is not one JSON object per line
        for key in ("time", "level", "msg", "pid"):
            assert key in obj, (key, line)
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", obj["time"]), line
        objects.append(obj)
    return objects


class Observability(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        cls.procs = []
        sim = subprocess.Popen([THAW, "sim", "--listen", "127.0.0.1:0", "--time-scale", "3600",
                                "--data-dir", os.path.join(cls.tmp, "sim")],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        cls.procs.append(sim)
        first = sim.stdout.readline()
        cls.endpoint = re.search(r"http://127\.0\.0\.1:\d+", first).group(0)
        s3 = boto3.client("s3", endpoint_url=cls.endpoint, region_name="us-east-1",
                          aws_access_key_id="thawsim", aws_secret_access_key="thawsimsecret",
                          config=Config(s3={"addressing_style": "path"}))
        s3.create_bucket(Bucket="obs")
        s3.put_object(Bucket="obs", Key="hot.bin", Body=HOT)
        s3.put_object(Bucket="obs", Key="cold.bin", Body=COLD, StorageClass="GLACIER")
        cls.env = dict(os.environ, AWS_ACCESS_KEY_ID="thawsim", AWS_SECRET_ACCESS_KEY="thawsimsecret",
                       AWS_REGION="us-east-1")

    @classmethod
    def tearDownClass(cls):
        for p in cls.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_0_mount_with_a_busy_metrics_port_fails_before_mounting(self):
        mnt = os.path.join(self.tmp, "busy")
        os.makedirs(mnt)
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            r = subprocess.run([THAW, "mount", "s3://obs", mnt, "--endpoint-url", self.endpoint,
                                "--metrics-listen", f"127.0.0.1:{port}",
                                "--state-dir", os.path.join(self.tmp, "busy-state")],
                               capture_output=True, text=True, env=self.env, timeout=60)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(f"--metrics-listen 127.0.0.1:{port}", r.stderr)
        self.assertIn("in use", r.stderr)
        with open("/proc/mounts") as f:
            self.assertNotIn(mnt, f.read())

    def test_1_mount_metrics_and_json_logs(self):
        mnt = os.path.join(self.tmp, "mnt")
        os.makedirs(mnt)
        log = os.path.join(self.tmp, "mount.log")
        r = subprocess.run([THAW, "mount", "s3://obs", mnt, "--endpoint-url", self.endpoint,
                            "--metrics-listen", "127.0.0.1:0", "--log-format", "json",
                            "--log-file", log, "--poll-interval", "1s",
                            "--state-dir", os.path.join(self.tmp, "state"),
                            "--cache-dir", os.path.join(self.tmp, "cache")],
                           capture_output=True, text=True, env=self.env, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        mounted = json_lines(r.stdout)  # the `mounted ...` line is JSON too
        self.assertEqual(len(mounted), 1, r.stdout)
        m = re.search(r"; metrics on (http://127\.0\.0\.1:\d+)$", mounted[0]["msg"])
        self.assertIsNotNone(m, r.stdout)
        url = m.group(1)
        try:
            before, _ = samples(scrape(url))
            with open(os.path.join(mnt, "hot.bin"), "rb") as f:
                self.assertEqual(f.read(), HOT)
            with self.assertRaises(OSError) as e:
                os.open(os.path.join(mnt, "cold.bin"), os.O_RDONLY | os.O_NONBLOCK)
            self.assertEqual(e.exception.errno, errno.EAGAIN)
            with open(os.path.join(mnt, "cold.bin"), "rb") as f:  # waits for the restore
                self.assertEqual(f.read(), COLD)
            text = scrape(url)
        finally:
            subprocess.run([THAW, "unmount", mnt], capture_output=True)
        after, families = samples(text)
        SCRAPED["mount"] = families
        moved = lambda k: after.get(k, 0) - before.get(k, 0)
        self.assertGreaterEqual(moved("thaw_fs_read_bytes_total"), len(HOT) + len(COLD))
        self.assertGreaterEqual(moved("thaw_fs_reads_total"), 2)
        get = 'operation="GetObject"'
        self.assertGreaterEqual(moved(f"thaw_s3_requests_total{{{get}}}"), 2)
        self.assertGreaterEqual(after[f"thaw_s3_request_duration_seconds_count{{{get}}}"], 2)
        self.assertEqual(after[f'thaw_s3_request_duration_seconds_bucket{{{get},le="+Inf"}}'],
                         after[f"thaw_s3_request_duration_seconds_count{{{get}}}"])
        self.assertGreater(after[f"thaw_s3_request_duration_seconds_sum{{{get}}}"], 0)
        self.assertGreaterEqual(moved("thaw_s3_downloaded_bytes_total"), len(HOT) + len(COLD))
        self.assertGreaterEqual(moved('thaw_s3_requests_total{operation="RestoreObject"}'), 1)
        self.assertGreaterEqual(moved("thaw_fs_archived_opens_total"), 2)
        self.assertGreaterEqual(moved('thaw_fs_errors_total{errno="EAGAIN"}'), 1)
        self.assertGreaterEqual(moved("thaw_fs_cache_misses_total"), 1)
        self.assertEqual(after["thaw_fs_opens_waiting"], 0)
        self.assertGreaterEqual(moved('thaw_restores_total{state="restored"}'), 1)
        self.assertGreaterEqual(moved("thaw_engine_restore_calls_total"), 1)
        self.assertGreater(moved("thaw_restore_estimated_cost_usd_total"), 0)
        self.assertEqual(after['thaw_restores_in_flight{state="in_progress"}'], 0)
        with open(log, encoding="utf-8") as f:
            objects = json_lines(f.read())
        self.assertTrue(any("cold.bin" in o["msg"] and "restore" in o["msg"] for o in objects),
                        objects)

    def test_1b_foreground_mount_writes_only_json(self):
        """What systemd's journal gets from thaw-mount@: stdout and stderr of a foreground mount,
        from start to SIGTERM, and the errors of a mount that fails (daemon and foreground)."""
        mnt = os.path.join(self.tmp, "fg")
        os.makedirs(mnt)
        args = ["--endpoint-url", self.endpoint, "--log-format", "json",
                "--state-dir", os.path.join(self.tmp, "fg-state")]
        p = subprocess.Popen([THAW, "mount", "--foreground", "s3://obs", mnt, *args],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env)
        self.procs.append(p)
        first = p.stdout.readline()
        try:
            self.assertIn("mounted s3://obs/ at " + mnt, json_lines(first)[0]["msg"])
            with open(os.path.join(mnt, "hot.bin"), "rb") as f:
                self.assertEqual(f.read(), HOT)
        finally:
            p.send_signal(signal.SIGTERM)
            out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, err)
        objects = json_lines(first + out + err)
        self.assertTrue(any("mounted at " + mnt in o["msg"] for o in objects), err)
        self.assertTrue(all(o["level"] in ("info", "warning", "error", "debug") for o in objects))

        for extra in ([], ["--foreground"]):
            r = subprocess.run([THAW, "mount", *extra, "s3://no-such-bucket", mnt, *args],
                               capture_output=True, text=True, env=self.env, timeout=60)
            self.assertEqual(r.returncode, 3, r.stderr)
            errors = json_lines(r.stdout + r.stderr)
            self.assertTrue(any(o["level"] == "error" and "no-such-bucket" in o["msg"]
                                for o in errors), r.stderr)
        # A bad argument, even one before --log-format, is reported as JSON.
        r = subprocess.run([THAW, "mount", "--no-such-flag", "s3://obs", mnt, "--log-format", "json"],
                           capture_output=True, text=True, env=self.env, timeout=60)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--no-such-flag", json_lines(r.stderr)[0]["msg"])
        with open("/proc/mounts") as f:
            self.assertNotIn(mnt, f.read())

    def test_2_serve_metrics_and_json_logs(self):
        port = free_port()
        moto = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(moto)
        moto_url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(moto_url + "/moto-api/", timeout=1)
                break
            except Exception:
                time.sleep(0.1)
        sqs = boto3.client("sqs", endpoint_url=moto_url, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
        queue = sqs.create_queue(QueueName="obs")["QueueUrl"]
        env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                   AWS_REGION="us-east-1")
        serve = subprocess.Popen([THAW, "serve", "--queue-url", queue, "--sqs-endpoint-url", moto_url,
                                  "--endpoint-url", moto_url, "--metrics-listen", "127.0.0.1:0",
                                  "--wait-time", "1", "--log-level", "info", "--log-format", "json",
                                  "--state-dir", os.path.join(self.tmp, "serve-state")],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.procs.append(serve)
        # Both start lines are read here: communicate() below reads the pipe itself, so lines
        # already in this file object's buffer would be lost to it.
        first = serve.stdout.readline() + serve.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", json_lines(first)[0]["msg"]).group(0)
        sqs.send_message(QueueUrl=queue, MessageBody="not an event")
        deadline = time.time() + 30
        while time.time() < deadline:
            values, families = samples(scrape(url))
            if values.get("thaw_serve_messages_dead_lettered_total", 0) >= 1:
                break
            time.sleep(0.5)
        SCRAPED["serve"] = families
        self.assertGreaterEqual(values["thaw_serve_receives_total"], 1)
        self.assertGreaterEqual(values["thaw_serve_messages_received_total"], 1)
        self.assertGreaterEqual(values["thaw_serve_messages_dead_lettered_total"], 1)
        self.assertIn("thaw_engine_in_flight", families)
        self.assertIn("thaw_restores_total", families)
        self.assertIn("thaw_s3_requests_total", families)
        serve.send_signal(signal.SIGTERM)
        out, err = serve.communicate(timeout=30)
        self.assertEqual(serve.returncode, 0, err)
        # Every line is JSON, serve's own status lines ("thaw serve: stopping ...") included.
        objects = json_lines(err)
        self.assertTrue(any(o["level"] == "error" for o in objects), err)
        self.assertTrue(any(o["msg"].startswith("thaw serve: stopping") for o in objects), err)
        said = [o["msg"] for o in json_lines(first + out)]
        self.assertTrue(any(m.startswith("thaw serve: polling") for m in said), said)
        self.assertTrue(any(m.startswith("thaw serve: stopped; received") for m in said), said)
        # A serve that cannot start says why in JSON too (no such queue).
        r = subprocess.run([THAW, "serve", "--queue-url", moto_url + "/123456789012/nope",
                            "--sqs-endpoint-url", moto_url, "--endpoint-url", moto_url,
                            "--wait-time", "0", "--max-receives", "1", "--log-format", "json",
                            "--state-dir", os.path.join(self.tmp, "serve-state-2")],
                           capture_output=True, text=True, env=env, timeout=60)
        self.assertNotEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertTrue(any(o["level"] == "error" for o in json_lines(r.stdout + r.stderr)),
                        r.stderr)

    def test_3_grafana_dashboard_queries_only_exported_metrics(self):
        self.assertEqual(sorted(SCRAPED), ["mount", "serve"], "the scrapes above must have run")
        exported = SCRAPED["mount"] | SCRAPED["serve"]
        with open(os.path.join(SOURCE_DIR, "deploy", "grafana", "thaw.json"), encoding="utf-8") as f:
            dash = json.load(f)
        queried = set()

        def walk(node):
            if isinstance(node, dict):
                for k, v in node.items():
                    if k in ("expr", "definition") and isinstance(v, str):
                        queried.update(re.findall(r"\bthaw_[a-z0-9_]+", v))
                    else:
                        walk(v)
            elif isinstance(node, list):
                for v in node:
                    walk(v)
        walk(dash)
        self.assertGreaterEqual(len(queried), 10)
        self.assertEqual(sorted(queried - exported), [], "queried by the dashboard, exported by nothing")
        titles = " ".join(p["title"] for p in dash["panels"]).lower()
        for wanted in ["restores in flight", "cost today", "read throughput", "waiting"]:
            self.assertIn(wanted, titles)


if __name__ == "__main__":
    unittest.main(verbosity=2)
