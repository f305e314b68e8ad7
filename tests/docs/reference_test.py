#!/usr/bin/env python3
"""The documentation generated from the command definitions (src/cli/doc_gen.h) agrees with the
binary: docs/reference/*.md as committed equals what `thaw __doc markdown` writes now, every man
page passes `groff -ww` without a warning, the man pages the build wrote (build/man) are current,
`--help` shows the same long description and options, and the completion scripts complete
commands, options and file names.
Usage: reference_test.py SOURCE_DIR THAW_BINARY
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SOURCE_DIR, THAW = sys.argv[1], sys.argv[2]
del sys.argv[1:3]
REFERENCE = os.path.join(SOURCE_DIR, "docs", "reference")
REGENERATE = "regenerate with: build/thaw __doc markdown docs/reference"


def run(*args, **kw):
    return subprocess.run([THAW, *args], capture_output=True, text=True, **kw)


def generate(fmt):
    d = tempfile.mkdtemp()
    r = run("__doc", fmt, d)
    if r.returncode != 0:
        raise AssertionError(f"thaw __doc {fmt} failed: {r.stderr}")
    pages = {}
    for n in os.listdir(d):
        with open(os.path.join(d, n), encoding="utf-8") as f:
            pages[n] = f.read()
    return d, pages


def complete(words, script):
    """COMPREPLY of the bash completion for the command line `words` (the last one is completed)."""
    line = " ".join(words)
    prog = (f'source {script}\nCOMP_WORDS=({line})\nCOMP_CWORD={len(words) - 1}\n'
            '_thaw\nprintf "%s\\n" "${COMPREPLY[@]}"\n')
    r = subprocess.run(["bash", "--norc", "-c", prog], capture_output=True, text=True, cwd=SOURCE_DIR)
    if r.returncode != 0:
        raise AssertionError(r.stderr)
    return [w for w in r.stdout.split("\n") if w]


class Reference(unittest.TestCase):
    def test_committed_markdown_matches_the_binary(self):
        d, generated = generate("markdown")
        try:
            committed = {}
            for n in os.listdir(REFERENCE) if os.path.isdir(REFERENCE) else []:
                with open(os.path.join(REFERENCE, n), encoding="utf-8") as f:
                    committed[n] = f.read()
            self.assertEqual(sorted(committed), sorted(generated), REGENERATE)
            for name, text in generated.items():
                self.assertEqual(committed[name], text, f"docs/reference/{name} is stale; {REGENERATE}")
            self.assertIn("thaw-mount.md", generated)
            self.assertIn("--metrics-listen", generated["thaw-mount.md"])
        finally:
            shutil.rmtree(d)

    def test_man_pages_render_without_warnings(self):
        d, pages = generate("man")
        try:
            self.assertIn("thaw.1", pages)
            self.assertIn("thaw-mount.1", pages)
            self.assertIn("thaw-restore.1", pages)
            for name in pages:
                r = subprocess.run(["groff", "-ww", "-z", "-man", os.path.join(d, name)],
                                   capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, name)
                self.assertEqual(r.stderr, "", f"{name}: {r.stderr}")
            # What man shows: the options and the long description, rendered.
            # -P-cbou: plain text, no overstriking for bold and underline.
            r = subprocess.run(["groff", "-man", "-Tutf8", "-P-cbou", os.path.join(d, "thaw-mount.1")],
                               capture_output=True, text=True)
            text = r.stdout.replace("\u2010", "-").replace("\u2212", "-")
            for expected in ["--metrics-listen", "--cache-dir", "EAGAIN", "user.thaw.restore",
                             "thaw(1)"]:
                self.assertIn(expected, text)
        finally:
            shutil.rmtree(d)

    def test_the_build_wrote_current_man_pages_and_completion(self):
        build = os.path.dirname(os.path.abspath(THAW))
        d, pages = generate("man")
        shutil.rmtree(d)
        built = os.path.join(build, "man")
        self.assertEqual(sorted(os.listdir(built)), sorted(pages))
        for name, text in pages.items():
            with open(os.path.join(built, name), encoding="utf-8") as f:
                self.assertEqual(f.read(), text, name)
        with open(os.path.join(build, "completion", "thaw.bash"), encoding="utf-8") as f:
            self.assertEqual(f.read(), run("completion", "bash").stdout)

    def test_help_shows_the_same_source(self):
        r = run("mount", "--help")
        self.assertEqual(r.returncode, 0)
        d, md = generate("markdown")
        shutil.rmtree(d)
        for option in ["--metrics-listen", "--cache-dir", "--read-ahead", "--foreground"]:
            self.assertIn(option, r.stdout)
            self.assertIn(option, md["thaw-mount.md"])
        # The footer (long description) is the DESCRIPTION of the man page and the Markdown.
        self.assertIn("a blocking open waits, without holding a FUSE thread", r.stdout)
        self.assertIn("a blocking open waits, without holding a FUSE thread", md["thaw-mount.md"])
        top = run("--help")
        self.assertIn("Exit status:", top.stdout)

    def test_bash_completion(self):
        with tempfile.NamedTemporaryFile("w", suffix=".bash", delete=False) as f:
            f.write(run("completion", "bash").stdout)
            script = f.name
        try:
            self.assertEqual(complete(["thaw", "mou"], script), ["mount"])
            self.assertIn("--metrics-listen", complete(["thaw", "mount", "--met"], script))
            # Global options work after the command too (CLI11 fallthrough).
            self.assertIn("--log-format", complete(["thaw", "serve", "--log-f"], script))
            self.assertNotIn("--queue-url", complete(["thaw", "mount", "--q"], script))
            # A path value completes file names.
            self.assertIn("README.md", complete(["thaw", "mount", "--cache-dir", "READ"], script))
            self.assertEqual(complete(["thaw", "completion", "z"], script), ["zsh"])
            self.assertNotIn("__doc", complete(["thaw", "__"], script))
        finally:
            os.unlink(script)

    def test_zsh_completion(self):
        text = run("completion", "zsh").stdout
        self.assertTrue(text.startswith("#compdef thaw\n"))
        for command in ["mount", "restore", "serve", "completion"]:
            self.assertIn(f"\n    {command})\n", text)
        if shutil.which("zsh"):
            r = subprocess.run(["zsh", "-n", "-c", text], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)

    def test_unknown_shell_is_a_usage_error(self):
        r = run("completion", "fish")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown shell fish", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
