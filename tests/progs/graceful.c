/*
 * Leaves N orphans behind for an init to shut down: forks N children and
 * exits at once. Each child counts the SIGTERMs it receives by appending a
 * byte to FILE per signal, and exits 0.2 s after the first: a graceful
 * shutdown. A child that only ever gets SIGKILL writes nothing.
 *
 *     graceful N FILE
 *
 * Prints "spawned N" once every child has its handler.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int fd;
static volatile sig_atomic_t got;

static void on_term(int sig)
{
	(void)sig;
	got = 1;
	/* One byte per SIGTERM, O_APPEND: no two children's bytes clash. */
	if (write(fd, "t", 1) != 1)
		_exit(2);
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	int n = atoi(argv[1]);
	fd = open(argv[2], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return 1;
	int ready[2];
	if (pipe(ready))
		return 1;
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			struct sigaction sa;
			memset(&sa, 0, sizeof sa);
			sa.sa_handler = on_term;
			sigaction(SIGTERM, &sa, NULL);
			close(ready[0]);
			close(ready[1]);
			while (!got)
				pause();
			struct timespec t = { 0, 200 * 1000 * 1000 };
			/* Any further SIGTERM interrupts the sleep: finish it. */
			while (nanosleep(&t, &t))
				;
			_exit(0);
		}
	}
	close(ready[1]);
	/* Every child closed its copy of the write end: all handlers set. */
	char c;
	while (read(ready[0], &c, 1) > 0)
		;
	printf("spawned %d\n", n);
	fflush(stdout);
	return 0;
}
