#!/usr/bin/env python3
"""Job control through nsinit, as a person at a terminal sees it.

Runs an interactive bash on a pseudo-terminal and, through
`NSINIT [MODE] -- ...`, checks that Ctrl-C interrupts COMMAND once, that
Ctrl-Z stops it and bash gets its prompt back, and that `fg` resumes it.

    jobctl.py NSINIT "MODE OPTIONS"

Exits 0 on success; otherwise prints what was expected and what the
terminal showed.
"""
import os
import pty
import re
import select
import sys
import time

nsinit, mode = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.environ["TERM"] = "dumb"
    os.execvp("bash", ["bash", "--norc", "--noprofile", "-i"])

seen = b""


def fail(why):
    print(f"FAIL ({mode!r}): {why}\n--- terminal so far ---\n{seen.decode(errors='replace')}")
    # Who is stopped, and who has the terminal.
    os.system(f"ps -s {pid} -o pid,ppid,pgid,tpgid,stat,cmd")
    # Everything in the terminal's session, stopped jobs included.
    os.system(f"pkill -KILL -s {pid}")
    sys.exit(1)


def expect(pattern, timeout=10):
    """Reads until `pattern` shows; returns what came before and the match."""
    global seen
    start = len(seen)
    end = time.time() + timeout
    while True:
        m = re.compile(pattern).search(seen, start)
        if m:
            out = seen[start:m.end()]
            # Whatever followed stays to be read by the next expect.
            rest = seen[m.end():]
            seen = seen[:m.end()]
            pending.append(rest)
            return out, m
        if pending and pending[-1]:
            seen += pending.pop()
            continue
        r, _, _ = select.select([fd], [], [], max(0.0, end - time.time()))
        if not r:
            fail(f"timed out waiting for {pattern!r}")
        try:
            seen += os.read(fd, 4096)
        except OSError:
            fail(f"terminal closed waiting for {pattern!r}")


pending = []


def send(s):
    os.write(fd, s.encode())


def status():
    send("echo S=$?\n")
    _, m = expect(rb"S=(\d+)")
    expect(rb"PROMPT:")
    return int(m.group(1))


# Words are split with '' so that bash's echo of a typed line never matches
# what the commands print. COMMAND is bash, not sh: dash starts programs
# with vfork(), and a Ctrl-Z that lands between its vfork and the exec
# leaves dash waiting, unstoppable, for a child that is stopped — with or
# without nsinit.
send("PS1=PROM''PT:\n")
expect(rb"PROMPT:")

# Ctrl-C reaches COMMAND once, and only COMMAND: its trap runs one time.
send(f"{nsinit} {mode} -- bash -c 'trap \"echo GOT''INT; exit 7\" INT; echo STAR''TED; while :; do sleep 0.05; done'\n")
expect(rb"STARTED")
time.sleep(0.2)
send("\x03")
out, _ = expect(rb"PROMPT:")
if out.count(b"GOTINT") != 1:
    fail(f"trap ran {out.count(b'GOTINT')} times, not once")
if (s := status()) != 7:
    fail(f"status {s} after the trap's exit 7")

# Ctrl-C with no handler: COMMAND dies of SIGINT, nsinit reports 130.
send(f"{nsinit} {mode} -- bash -c 'echo STAR''TED; exec sleep 100'\n")
expect(rb"STARTED")
time.sleep(0.2)
send("\x03")
expect(rb"PROMPT:")
if (s := status()) != 130:
    fail(f"status {s} after Ctrl-C, not 130")

# Ctrl-Z stops the job and the prompt comes back; fg resumes it.
send(f"{nsinit} {mode} -- bash -c 'i=0; while :; do i=$((i+1)); echo TI''CK$i; sleep 0.1; done'\n")
expect(rb"TICK3")
send("\x1a")
expect(rb"Stopped")
expect(rb"PROMPT:")
time.sleep(0.3)
send("jobs -l\n")
out, _ = expect(rb"PROMPT:")
if b"Stopped" not in out:
    fail("jobs does not show the job stopped")
# Stopped means stopped: no tick while it is.
send("echo MARK''ER\n")
out, _ = expect(rb"PROMPT:")
if b"TICK" in out:
    fail("COMMAND ticked while stopped")
send("fg\n")
_, m = expect(rb"TICK(\d+)")
_, m2 = expect(rb"TICK(\d+)")
if int(m2.group(1)) <= int(m.group(1)):
    fail("COMMAND did not resume")
send("\x03")
expect(rb"PROMPT:")
if (s := status()) != 130:
    fail(f"status {s} after fg and Ctrl-C, not 130")

# bg: COMMAND runs on in the background and the shell keeps the
# terminal. (Under -p the outer nsinit, which sees both the shell's
# process group and COMMAND's, continues COMMAND and hands it the
# terminal only on fg.)
send(f"{nsinit} {mode} -- bash -c 'sleep 1; echo BG''DONE'\n")
time.sleep(0.3)
send("\x1a")
expect(rb"Stopped")
expect(rb"PROMPT:")
send("bg\n")
expect(rb"PROMPT:")
send("echo ALI''VE\n")
expect(rb"ALIVE")
expect(rb"BGDONE")
send("wait; echo S=$?\n")
_, m = expect(rb"S=(\d+)")
if int(m.group(1)) != 0:
    fail(f"status {m.group(1)} after bg, not 0")

# After nsinit, whoever reads the terminal next can: a script, unlike an
# interactive shell, takes nothing back itself.
send(f"sh -c '{nsinit} {mode} -- true; read x; echo GOT$x'\n")
time.sleep(0.5)
send("yes\n")
expect(rb"GOTyes")
expect(rb"PROMPT:")

send("exit\n")
os.waitpid(pid, 0)
print("ok")
