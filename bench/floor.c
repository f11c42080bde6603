/*
 * The kernel's floor for what `nsinit --exec -p -u -i` does: one
 * clone(CLONE_VM|CLONE_VFORK|flags) onto a static stack, execve in the
 * child, waitpid in the parent, and nothing else — no error pipe, no
 * signal handling, no parent-death check. nsinit cannot be faster than
 * this; the bench prints it so that nsinit's ratio can be read against
 * what the machine allows, not only against the tutorial's baseline.
 *
 *   floor FLAGS /abs/payload [ARG...]      (FLAGS: decimal CLONE_NEW* bits)
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static char stack[64 * 1024] __attribute__((aligned(16)));
static char **args;

static int child(void *unused)
{
	(void)unused;
	execve(args[0], args, environ);
	_exit(127);
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	args = argv + 2;
	int flags = atoi(argv[1]);
	pid_t pid = clone(child, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD | flags, NULL);
	if (pid < 0)
		return 125;
	int status;
	if (waitpid(pid, &status, 0) < 0)
		return 125;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
