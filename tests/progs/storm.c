/*
 * A zombie storm: makes N orphans (each forked by a child that exits at
 * once, so they are reparented to the nearest reaper), all blocked on one
 * pipe. Prints "spawned N", waits for a line on stdin, closes the pipe so
 * that every orphan exits at the same moment, prints "released", waits for
 * another line, then exits 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10000;
	int p[2];
	char line[64], c;
	if (pipe(p))
		return 1;
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			if (fork() == 0) {
				close(p[1]);
				/* EOF when the storm breaks. */
				while (read(p[0], &c, 1) > 0)
					;
				_exit(0);
			}
			_exit(0);
		}
		waitpid(pid, NULL, 0);
	}
	close(p[0]);
	printf("spawned %d\n", n);
	fflush(stdout);
	if (!fgets(line, sizeof line, stdin))
		return 1;
	close(p[1]);
	printf("released\n");
	fflush(stdout);
	if (!fgets(line, sizeof line, stdin))
		return 1;
	return 0;
}
