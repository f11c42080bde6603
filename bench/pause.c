/*
 * COMMAND for bench/run's resident-memory rows: waits until a signal
 * ends it (SIGTERM, default action), doing nothing else.
 */
#include <unistd.h>

int main(void)
{
	for (;;)
		pause();
}
