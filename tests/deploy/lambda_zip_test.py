#!/usr/bin/env python3
"""Builds the Lambda function zip with deploy/build-lambda-zip from the built thaw and checks
what Lambda will run: the layout (bootstrap and thaw executable, the loader and every library
thaw needs under lib/), that everything resolves inside the unpacked directory (the bundled
loader's --list), and that ./bootstrap --help and --version work with an empty environment
(no LD_LIBRARY_PATH, no PATH) from inside the unpacked directory.
Usage: lambda_zip_test.py SOURCE_DIR THAW_BINARY
"""
import os
import stat
import subprocess
import sys
import tempfile
import unittest
import zipfile

SOURCE_DIR, THAW = sys.argv[1], sys.argv[2]
del sys.argv[1:3]
SCRIPT = os.path.join(SOURCE_DIR, "deploy", "build-lambda-zip")


class LambdaZip(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.zip_path = os.path.join(cls.tmp.name, "thaw-lambda.zip")
        r = subprocess.run([SCRIPT, "--thaw", THAW, "--out", cls.zip_path], capture_output=True,
                           text=True)
        if r.returncode != 0:
            raise AssertionError("build-lambda-zip failed:\n" + r.stdout + r.stderr)
        cls.unpacked = os.path.join(cls.tmp.name, "task")
        # `unzip` (not zipfile) so that permissions come out as Lambda's unpacking sets them.
        subprocess.run(["unzip", "-q", cls.zip_path, "-d", cls.unpacked], check=True)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_layout(self):
        with zipfile.ZipFile(self.zip_path) as z:
            names = set(z.namelist())
            modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
        for f in ["bootstrap", "thaw", "lib/ld-linux-x86-64.so.2", "lib/libc.so.6",
                  "lib/libstdc++.so.6", "lib/libcurl.so.4", "lib/libsqlite3.so.0"]:
            self.assertIn(f, names)
        for f in ["bootstrap", "thaw", "lib/ld-linux-x86-64.so.2"]:
            self.assertTrue(modes[f] & stat.S_IXUSR and modes[f] & stat.S_IXOTH, f)
        # Every library the build machine's ldd lists for thaw is in lib/ (by name).
        ldd = subprocess.run(["ldd", THAW], capture_output=True, text=True, check=True).stdout
        needed = {l.split()[0] for l in ldd.splitlines() if "=>" in l and "/" in l.split("=>")[1]}
        self.assertGreater(len(needed), 5)
        for lib in needed:
            self.assertIn("lib/" + lib, names)

    def test_everything_resolves_inside_the_bundle(self):
        lib = os.path.join(self.unpacked, "lib")
        r = subprocess.run([os.path.join(lib, "ld-linux-x86-64.so.2"), "--library-path", lib,
                            "--list", os.path.join(self.unpacked, "thaw")],
                           capture_output=True, text=True, env={})
        self.assertEqual(r.returncode, 0, r.stderr)
        paths = [l.split("=>")[1].split("(")[0].strip() for l in r.stdout.splitlines()
                 if "=>" in l]
        self.assertGreater(len(paths), 5)
        for p in paths:
            self.assertTrue(p.startswith(lib + "/"), "%s resolved outside the bundle" % p)

    def test_rpath_points_into_the_bundle(self):
        r = subprocess.run(["readelf", "-d", os.path.join(self.unpacked, "thaw")],
                           capture_output=True, text=True, check=True)
        self.assertIn("[$ORIGIN/lib]", r.stdout)

    def test_bootstrap_runs_with_empty_environment(self):
        for args, want in [(["--help"], "lambda"), (["--version"], "thaw 0.1.0"),
                           (["lambda", "--help"], "AWS_LAMBDA_RUNTIME_API")]:
            r = subprocess.run(["./bootstrap"] + args, cwd=self.unpacked, capture_output=True,
                               text=True, env={})
            self.assertEqual(r.returncode, 0, (args, r.stdout, r.stderr))
            self.assertIn(want, r.stdout, args)

    def test_bootstrap_without_runtime_api_fails_clearly(self):
        r = subprocess.run(["./bootstrap"], cwd=self.unpacked, capture_output=True, text=True,
                           env={})
        self.assertEqual(r.returncode, 2)
        self.assertIn("AWS_LAMBDA_RUNTIME_API", r.stderr)

    def test_glibc_comes_with_the_bundle(self):
        # The reason the loader travels along: the bundled libraries need newer glibc symbol
        # versions than Amazon Linux 2023's 2.34 provides (docs/deploy.md).
        lib = os.path.join(self.unpacked, "lib")
        newest = set()
        for name in os.listdir(lib):
            out = subprocess.run(["objdump", "-T", os.path.join(lib, name)], capture_output=True,
                                 text=True).stdout
            newest.update(w for w in out.split() if w.startswith("GLIBC_2.3"))
        self.assertTrue(any(v > "GLIBC_2.34" for v in newest), sorted(newest))
        self.assertTrue(os.path.exists(os.path.join(lib, "libc.so.6")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
