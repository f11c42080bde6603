/*
 * Baseline: "the tutorial's program". This is the classic clone(2) + PID
 * namespace pattern from the LWN "Namespaces in operation" series
 * (ns_child_exec.c / userns_child_exec.c), kept faithful and unoptimised so
 * nsinit is measured against what people write by hand. bench/run uses it
 * as the ratio baseline; do not "improve" it.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define errExit(msg) do { perror(msg); exit(EXIT_FAILURE); } while (0)

#define STACK_SIZE (1024 * 1024)
static char child_stack[STACK_SIZE];
static int pipe_fd[2];

static int childFunc(void *arg)
{
	char **argv = arg;
	char ch;

	/* Hold until the parent has done its setup; EOF is the go signal. */
	close(pipe_fd[1]);
	if (read(pipe_fd[0], &ch, 1) != 0) {
		fprintf(stderr, "Failure in child: read from pipe returned != 0\n");
		exit(EXIT_FAILURE);
	}
	close(pipe_fd[0]);

	if (sethostname("box", 3) == -1)
		errExit("sethostname");
	execv(argv[0], argv);
	errExit("execv");
}

int main(int argc, char *argv[])
{
	int status;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: %s PROGRAM [ARG...]\n", argv[0]);
		exit(EXIT_FAILURE);
	}
	if (pipe(pipe_fd) == -1)
		errExit("pipe");

	pid = clone(childFunc, child_stack + STACK_SIZE, /* stack grows down */
		    CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | SIGCHLD, &argv[1]);
	if (pid == -1)
		errExit("clone");

	/* The tutorial writes uid/gid maps here; closing releases the child. */
	close(pipe_fd[1]);

	if (waitpid(pid, &status, 0) == -1)
		errExit("waitpid");
	exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}
