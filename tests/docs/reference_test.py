#!/usr/bin/env python3
"""The documentation generated from the command definitions (src/cli/doc_gen.h) agrees with the
binary: docs/reference/*.md as committed equals what `thaw __doc markdown` writes now, so do the
option tables between `<!-- thaw:options -->` markers in the other pages (docs/*.md) and no page
holds an option table of its own (README.md included), every man
page passes `groff -ww` without a warning, the man pages the build wrote (build/man) are current,
`--help` shows the same long description and options, and the completion scripts complete
commands, options and file names.
Usage: reference_test.py SOURCE_DIR THAW_BINARY
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

SOURCE_DIR, THAW = sys.argv[1], sys.argv[2]
del sys.argv[1:3]
REFERENCE = os.path.join(SOURCE_DIR, "docs", "reference")
REGENERATE = "regenerate with: build/thaw __doc markdown docs/reference"
DOCS = os.path.join(SOURCE_DIR, "docs")
OPEN, CLOSE = "<!-- thaw:options ", "<!-- /thaw:options -->"


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


# Types each LINE and a TAB into one interactive zsh (on a pseudo-terminal, zsh/zpty) that ran
# compinit and sourced SCRIPT, and writes the candidates offered for line N to OUT.N: compadd,
# which every completion function ends in, is wrapped to record what it adds. Ctrl-U clears the
# line between two. One shell for all lines: compinit is the slow part.
ZSH_DRIVER = r"""
script=$1 out=$2; shift 2
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "autoload -U compinit; compinit -u -D"
zpty -w z "source ${(q)script}"
zpty -w z 'compadd() { local -a __h; builtin compadd -O __h "$@"; print -rl -- $__h >> $__out; builtin compadd "$@"; }'
local all= buf n=0 line
for line in "$@"; do
  (( n++ ))
  zpty -w z $'\x15'"__out=${(q)out}.$n; print READY$n"
  for i in {1..600}; do
    zpty -r -t z buf && all+=$buf
    [[ $all == *READY$n*READY$n* ]] && break
    sleep 0.05
  done
  zpty -w -n z "$line"$'\t'
  for i in {1..200}; do
    zpty -r -t z buf && all+=$buf
    [[ -s $out.$n ]] && break
    sleep 0.05
  done
  sleep 0.2
done
zpty -d z
"""


def zsh_complete(lines, script):
    """What zsh offers for each of `lines` followed by TAB."""
    with tempfile.TemporaryDirectory() as d:
        driver, out = os.path.join(d, "drive.zsh"), os.path.join(d, "out")
        with open(driver, "w") as f:
            f.write(ZSH_DRIVER)
        r = subprocess.run(["zsh", "-f", driver, script, out, *lines], capture_output=True,
                           text=True, timeout=120)
        if r.returncode != 0:
            raise AssertionError(r.stderr)
        offered = []
        for n in range(1, len(lines) + 1):
            words = set()
            if os.path.exists(f"{out}.{n}"):
                with open(f"{out}.{n}") as f:
                    words = {w for w in f.read().split("\n") if w}
            offered.append(sorted(words))
        return offered


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

    def test_option_tables_of_the_guide_match_the_binary(self):
        """docs/*.md as committed equals what `__doc markdown` makes of a copy of them."""
        d = tempfile.mkdtemp()
        try:
            pages = [n for n in os.listdir(DOCS) if n.endswith(".md")]
            for n in pages:
                shutil.copy(os.path.join(DOCS, n), os.path.join(d, n))
            r = run("__doc", "markdown", os.path.join(d, "reference"))
            self.assertEqual(r.returncode, 0, r.stderr)
            with_tables = []
            for n in pages:
                with open(os.path.join(DOCS, n), encoding="utf-8") as f:
                    committed = f.read()
                with open(os.path.join(d, n), encoding="utf-8") as f:
                    self.assertEqual(committed, f.read(), f"docs/{n}: option tables are stale; {REGENERATE}")
                if OPEN in committed:
                    with_tables.append(n)
            for n in ["restore.md", "configuration.md", "bulk-restore.md", "batch-operations.md"]:
                self.assertIn(n, with_tables)
            with open(os.path.join(DOCS, "restore.md"), encoding="utf-8") as f:
                restore = f.read()
            # The default the binary has, not the one a hand-written table once had.
            self.assertRegex(restore, r"\| `--max-rate MAX_RATE` \| [^|]*default 3500")
        finally:
            shutil.rmtree(d)

    def test_no_page_has_an_option_table_of_its_own(self):
        """A table of options (its first column headed option or flag) only inside a generated
        block."""
        pages = [os.path.join(DOCS, n) for n in os.listdir(DOCS) if n.endswith(".md")]
        pages.append(os.path.join(SOURCE_DIR, "README.md"))
        stray = []
        for path in pages:
            inside, previous = False, ""
            with open(path, encoding="utf-8") as f:
                for number, line in enumerate(f, 1):
                    if line.startswith(OPEN):
                        inside = True
                    elif line.startswith(CLOSE):
                        inside = False
                    elif not inside and line.startswith("|") and not previous.startswith("|"):
                        head = line.strip("| \n").split("|")[0].strip().lower()
                        if head in ("option", "options", "flag", "flags"):
                            stray.append(f"{os.path.relpath(path, SOURCE_DIR)}:{number}: {line.strip()}")
                    previous = line
        self.assertEqual(stray, [], "hand-written option tables: generate them with a "
                         "<!-- thaw:options COMMAND [--OPTION...] --> block")

    def test_a_marker_naming_what_does_not_exist_is_an_error(self):
        d = tempfile.mkdtemp()
        try:
            cases = [(f"{OPEN}restore --tier --no-such-flag -->\n{CLOSE}\n", "has no option --no-such-flag"),
                     (f"{OPEN}frobnicate -->\n{CLOSE}\n", "no command 'frobnicate'"),
                     (f"x\n{OPEN}restore --tier -->\n", "page.md:2: thaw:options block has no")]
            for text, expected in cases:
                with open(os.path.join(d, "page.md"), "w", encoding="utf-8") as f:
                    f.write(text)
                r = run("__doc", "markdown", os.path.join(d, "reference"))
                self.assertNotEqual(r.returncode, 0, text)
                self.assertIn(expected, r.stderr)
                with open(os.path.join(d, "page.md"), encoding="utf-8") as f:
                    self.assertEqual(f.read(), text, "a failed refresh left the page changed")
            # A good block is filled from the definitions, global options included.
            with open(os.path.join(d, "page.md"), "w", encoding="utf-8") as f:
                f.write(f"# p\n{OPEN}thaw --log-format -->\nold\n{CLOSE}\ntail\n")
            r = run("__doc", "markdown", os.path.join(d, "reference"))
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(os.path.join(d, "page.md"), encoding="utf-8") as f:
                lines = f.read().split("\n")
            self.assertEqual(lines[:4], ["# p", f"{OPEN}thaw --log-format -->",
                                         "| option | meaning | default |", "|---|---|---|"])
            self.assertTrue(lines[4].startswith("| `--log-format LOG_FORMAT` | text, or json"), lines)
            self.assertEqual(lines[5:], [CLOSE, "tail", ""])
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
            # Sourcing registers it for the command, as bash-completion's loader does.
            r = subprocess.run(["bash", "--norc", "-c", f"source {script} && complete -p thaw"],
                               capture_output=True, text=True)
            self.assertEqual((r.returncode, r.stderr), (0, ""))
            self.assertEqual(r.stdout.strip(), "complete -o filenames -F _thaw thaw")
        finally:
            os.unlink(script)

    def test_zsh_completion(self):
        text = run("completion", "zsh").stdout
        self.assertTrue(text.startswith("#compdef thaw\n"))
        for command in ["mount", "restore", "serve", "completion"]:
            self.assertIn(f"\n    {command})\n", text)
        self.assertTrue(shutil.which("zsh"), "no zsh: scripts/install-deps installs it")
        # Loaded as the script's header says, after compinit: no error, and registered.
        r = subprocess.run(["zsh", "-f", "-c", f"autoload -U compinit; compinit -u -D; "
                            f"source <({THAW} completion zsh) && print -r -- $_comps[thaw]"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertEqual(r.stdout.strip(), "_thaw")
        with tempfile.NamedTemporaryFile("w", suffix=".zsh", delete=False) as f:
            f.write(text)
            script = f.name
        try:
            lines = ["thaw mou", "thaw re", "thaw mount --metrics-l", "thaw serve --log-f",
                     "thaw completion "]
            self.assertEqual(zsh_complete(lines, script),
                             [["mount"], ["restore"], ["--metrics-listen"], ["--log-format"],
                              ["bash", "zsh"]])
        finally:
            os.unlink(script)

    def test_unknown_shell_is_a_usage_error(self):
        r = run("completion", "fish")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown shell fish", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
