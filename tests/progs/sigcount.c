/*
 * Counts the signals it receives, and prints each one's number as it
 * arrives. Prints "ready RTMIN RTMAX" once every handler is in place; on
 * each line from stdin prints "SIG:COUNT" for each signal received so far,
 * then "end"; exits at end of input.
 * Handles 1-31 but KILL, STOP and CHLD, and SIGRTMIN..SIGRTMAX.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t count[65];

static void on(int sig)
{
	char b[4] = { '0' + sig / 10, '0' + sig % 10, '\n' };
	count[sig]++;
	/* write(2) is async-signal-safe; stdio is not. */
	write(1, b, 3);
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on;
	sa.sa_flags = SA_RESTART;
	for (int s = 1; s <= SIGRTMAX; s++) {
		if (s == SIGKILL || s == SIGSTOP || s == SIGCHLD || (s > 31 && s < SIGRTMIN))
			continue;
		if (sigaction(s, &sa, NULL) != 0) {
			perror("sigaction");
			return 1;
		}
	}
	printf("ready %d %d\n", SIGRTMIN, SIGRTMAX);
	fflush(stdout);
	char line[64];
	while (fgets(line, sizeof line, stdin)) {
		for (int s = 1; s <= SIGRTMAX; s++)
			if (count[s])
				printf("%d:%d\n", s, (int)count[s]);
		printf("end\n");
		fflush(stdout);
	}
	return 0;
}
