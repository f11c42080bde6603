/*
 * How much of its own code `nsinit bench` runs inside a timed window: it
 * single-steps `nsinit bench -n ROUNDS none` with ptrace and counts the
 * user-mode instructions between the clock_gettime that opens a window
 * and the one that closes it, in nsinit and in the children it clones
 * there. Everything else in the window is the kernel's work.
 *
 *   steps /path/to/nsinit [ROUNDS]
 *
 * Prints one line per window: its place in the round (create-fork,
 * create-vfork, spawn), then nsinit's instructions and its children's.
 * A spawn window's child runs the payload too (nsinit itself, `bench
 * --exit`).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *what[] = {"create-fork", "create-vfork", "spawn"};

/* Single-steps `pid` until it exits; returns the steps it took. Its own
 * children (a spawn child has none but the payload) are stepped as they
 * appear, and counted too. */
static long run_out(pid_t pid)
{
	long n = 0;
	for (;;) {
		int st;
		if (ptrace(PTRACE_SINGLESTEP, pid, 0, 0) < 0)
			return n;
		if (waitpid(pid, &st, __WALL) < 0 || WIFEXITED(st) || WIFSIGNALED(st))
			return n;
		n++;
		if (st >> 16) { /* a clone event: the new child first */
			unsigned long kid;
			ptrace(PTRACE_GETEVENTMSG, pid, 0, &kid);
			waitpid(kid, &st, __WALL);
			n += run_out(kid);
		}
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: steps NSINIT [ROUNDS]\n");
		return 2;
	}
	const char *rounds = argc > 2 ? argv[2] : "3";
	pid_t pid = fork();
	if (pid == 0) {
		/* The table is not ours to print. */
		freopen("/dev/null", "w", stdout);
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		execl(argv[1], "nsinit", "bench", "-n", rounds, "none", (char *)0);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0); /* the exec's SIGTRAP */
	ptrace(PTRACE_SETOPTIONS, pid, 0,
	       PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_EXITKILL);
	int in = 0, window = 0;
	long mine = 0, theirs = 0;
	for (;;) {
		struct user_regs_struct r;
		ptrace(PTRACE_GETREGS, pid, 0, &r);
		long insn = ptrace(PTRACE_PEEKTEXT, pid, r.rip, 0);
		int is_clock = (insn & 0xffff) == 0x050f && r.rax == SYS_clock_gettime;
		if (is_clock && in) {
			printf("%-13s nsinit %4ld  children %6ld\n", what[window % 3], mine, theirs);
			window++;
			in = 0;
		} else if (is_clock) {
			in = 1;
			mine = theirs = 0;
		} else if (in) {
			mine++;
		}
		if (ptrace(PTRACE_SINGLESTEP, pid, 0, 0) < 0)
			break;
		if (waitpid(pid, &st, __WALL) < 0 || WIFEXITED(st) || WIFSIGNALED(st))
			break;
		if (st >> 16) {
			unsigned long kid;
			ptrace(PTRACE_GETEVENTMSG, pid, 0, &kid);
			waitpid(kid, &st, __WALL);
			theirs += run_out(kid);
		}
	}
	return 0;
}
