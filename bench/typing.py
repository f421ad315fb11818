#!/usr/bin/env python3
"""Times a filter typed into the real triage-tui, in tmux, over a million console events.

Usage: bench/typing.py [BINARY] [WORD] [EVENTS]   (default target/release/triage-tui, update, 1000000)

Writes a --record file of EVENTS console messages (shaped like triage-bench's) to a temp dir, opens
it with `triage-tui open` in a 200x50 tmux window (its own config and data dirs, capacity raised
to hold them all, so old events are in the compressed tier as the app keeps them), types `/` and
then WORD one key at a time. Each key is timed from `send-keys` until the screen shows the prompt
with the key and the finished count ("N matches", no "filtering…"), polled every 3 ms. Prints
`name value unit` lines like triage-bench. What the user waits for, end to end: no emulation of
the UI loop, tmux's own redraw included.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/release/triage-tui")
word = sys.argv[2] if len(sys.argv) > 2 else "update"
events = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000
session = f"triage-typing-{os.getpid()}"


def tmux(*args):
    return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout


def screen():
    return tmux("capture-pane", "-p", "-t", session)


def wait(what, seconds, done):
    start = time.time()
    while not done(screen()):
        if time.time() - start > seconds:
            sys.exit(f"typing.py: no {what} after {seconds} s; the screen:\n{screen()}")
        time.sleep(0.003)
    return time.time() - start


tmp = tempfile.mkdtemp(prefix="triage-typing-")
try:
    record = os.path.join(tmp, "rec.ndjson")
    with open(record, "w") as f:
        for i in range(events):
            f.write(
                '{"id":"log-%d","type":"console-log","timestamp":%d,"data":{"level":"log",'
                '"message":"[cart] item %d updated; total %d.%02d","source":"app.js:%d:9"}}\n'
                % (i, 1767225600000 + i, i % 977, i % 500, i % 100, i % 900)
            )
    with open(os.path.join(tmp, "config.toml"), "w") as f:
        f.write(f"[capacity]\nconsole = {events}\n")
    env = (
        f"TRIAGE_CONFIG={tmp}/config.toml TRIAGE_CONFIG_DIR={tmp} TRIAGE_DATA_DIR={tmp}/data "
        "TRIAGE_PORT=0"
    )
    tmux("new-session", "-d", "-s", session, "-x", "200", "-y", "50", f"env {env} {binary} open {record}")
    loaded = wait("loaded recording", 300, lambda s: f"loaded {events} entries" in s and "filtering" not in s)
    print(f"tmux_open_{events}_console_s {loaded:.2f} s")
    time.sleep(1)  # the sealer compresses what it loaded
    tmux("send-keys", "-t", session, "/")
    wait("filter prompt", 10, lambda s: "matches" in s)
    times = []
    for n in range(1, len(word) + 1):
        typed = word[:n]
        start = time.time()
        tmux("send-keys", "-t", session, "-l", word[n - 1])
        wait(f"result of {typed!r}", 60, lambda s: f"/ {typed} " in s and "matches" in s and "filtering" not in s)
        times.append((time.time() - start) * 1000)
        time.sleep(0.3)
    print(f"# keystrokes of {word!r}, ms each: " + " ".join(f"{t:.0f}" for t in times))
    print(f"tmux_keystroke_{word}_max_ms {max(times):.0f} ms")
finally:
    tmux("kill-session", "-t", session)
    shutil.rmtree(tmp, ignore_errors=True)
