/*
 * The kernel's floor for what nsinit does, with nothing of nsinit's own:
 * no error pipe, no signal handling, no parent-death check.
 *
 *   floor FLAGS /abs/payload [ARG...]
 *       one clone(CLONE_VM|CLONE_VFORK|FLAGS) onto a static stack, execve
 *       in the child, waitpid: the floor of `nsinit --exec`.
 *   floor -i FLAGS /abs/payload [ARG...]
 *       a fork-style clone(FLAGS) child, which vfork-clones the payload
 *       and waits for it: the floor of nsinit's default -p, an init in
 *       front of COMMAND.
 *
 * FLAGS is a decimal mask of CLONE_NEW* bits. bench/run prints these rows
 * so that nsinit's ratios can be read against what the machine allows, not
 * only against the tutorial's baseline.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static char stack[64 * 1024] __attribute__((aligned(16)));
static char init_stack[64 * 1024] __attribute__((aligned(16)));
static char **args;

static int status_of(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int child(void *unused)
{
	(void)unused;
	execve(args[0], args, environ);
	_exit(127);
}

static int spawn_and_wait(int flags)
{
	int status;
	pid_t pid = clone(child, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD | flags, NULL);
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return 125;
	return status_of(status);
}

static int init(void *unused)
{
	(void)unused;
	_exit(spawn_and_wait(0));
}

int main(int argc, char **argv)
{
	int as_init = argc > 1 && strcmp(argv[1], "-i") == 0;
	if (argc < 3 + as_init)
		return 2;
	int flags = atoi(argv[1 + as_init]);
	args = argv + 2 + as_init;
	if (!as_init)
		return spawn_and_wait(flags);
	int status;
	pid_t pid = clone(init, init_stack + sizeof init_stack, SIGCHLD | flags, NULL);
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return 125;
	return status_of(status);
}
