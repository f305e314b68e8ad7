#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal, as a user's shell would: copies what it writes to our
stdout, forwards SIGINT and SIGTERM to it (Ctrl-C), and exits with its exit code.

Used by the integration tests to see thaw's terminal-only output (progress bars redrawn in
place, `thaw status --watch` screens). Usage: pty_run.py COMMAND [ARGS...]
"""
import os
import pty
import signal
import sys


def main() -> int:
    if len(sys.argv) < 2:
        print("usage: pty_run.py COMMAND [ARGS...]", file=sys.stderr)
        return 2
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execvp(sys.argv[1], sys.argv[1:])
        finally:
            os._exit(127)

    def forward(signum, _frame):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    out = sys.stdout.buffer
    while True:
        try:
            data = os.read(fd, 65536)
        except InterruptedError:
            continue
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        out.write(data)
        out.flush()
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    return os.waitstatus_to_exitcode(status) if status else 0


if __name__ == "__main__":
    code = main()
    sys.exit(code if code >= 0 else 128 - code)
