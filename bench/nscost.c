/*
 * An independent measurement of what `nsinit bench` measures, written the
 * way one writes it in C: musl's clone(), the vDSO's clock_gettime, qsort.
 * bench/run compares the two side by side in one run.
 *
 *   nscost [-n N] [-p PAYLOAD] CASE...
 *
 * CASE is `none` or namespace names joined by `+` (pid uts ipc mnt net user
 * cgroup time). For N rounds, each case in turn: a fork-style clone into the
 * namespaces and a CLONE_VM|CLONE_VFORK one, whose child exits at once,
 * timed from before clone() to after waitpid(). Legacy clone() has no bit
 * for the time namespace: the child unshares it, as nsinit bench does.
 * With -p, a third: spawn, the child sets up what nsinit --exec would (lo
 * up, / private, the time namespace joined) and execs PAYLOAD. It also
 * gives the kernel the same work per round as nsinit bench does (a net
 * namespace's cleanup slows the next one's creation).
 * Then, for every case but none, N/20 teardowns (as nsinit bench): in a user
 * namespace of our own whose max_<kind>_namespaces are 1, the time from
 * waitpid() returning until the next clone stops failing with ENOSPC.
 *
 * Prints `CASE MEASURE MEDIAN_US` per line, or `CASE MEASURE error ERRNO`
 * with the errno's number.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x80
#endif

static const struct {
	const char *name;
	int flag;
} kinds[] = {
	{"pid", CLONE_NEWPID}, {"uts", CLONE_NEWUTS},	    {"ipc", CLONE_NEWIPC},
	{"mnt", CLONE_NEWNS},  {"net", CLONE_NEWNET},	    {"user", CLONE_NEWUSER},
	{"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

static char stack[64 * 1024] __attribute__((aligned(16)));

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int child(void *arg)
{
	if (*(int *)arg & CLONE_NEWTIME)
		unshare(CLONE_NEWTIME);
	_exit(0);
}

static char *payload[] = {NULL, "bench", "--exit", NULL};
extern char **environ;

static int spawn_child(void *arg)
{
	int flags = *(int *)arg;
	if (flags & CLONE_NEWTIME) {
		unshare(CLONE_NEWTIME);
		int fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
		setns(fd, CLONE_NEWTIME);
		close(fd);
	}
	if (flags & CLONE_NEWNS)
		mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	if (flags & CLONE_NEWNET) {
		struct ifreq ifr = {.ifr_name = "lo", .ifr_flags = IFF_UP};
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		ioctl(fd, SIOCSIFFLAGS, &ifr);
		close(fd);
	}
	execve(payload[0], payload, environ);
	_exit(127);
}

static int spawn(int flags)
{
	int extra = flags & CLONE_NEWTIME ? 0 : CLONE_VM | CLONE_VFORK;
	int status, pid = clone(spawn_child, stack + sizeof stack, (flags & ~CLONE_NEWTIME) | extra | SIGCHLD, &flags);
	if (pid < 0)
		return -errno;
	waitpid(pid, &status, 0);
	return status ? -1000 : pid;
}

/* One create: the child's pid, or -errno. */
static int create(int flags, int vm)
{
	int extra = vm ? CLONE_VM | CLONE_VFORK : 0;
	int pid = clone(child, stack + sizeof stack, (flags & ~CLONE_NEWTIME) | extra | SIGCHLD, &flags);
	if (pid < 0)
		return -errno;
	waitpid(pid, NULL, 0);
	return pid;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof *v, cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int parse_case(const char *s)
{
	if (strcmp(s, "none") == 0)
		return 0;
	int flags = 0;
	char buf[256];
	snprintf(buf, sizeof buf, "%s", s);
	for (char *save, *w = strtok_r(buf, "+", &save); w; w = strtok_r(NULL, "+", &save)) {
		size_t k;
		for (k = 0; k < sizeof kinds / sizeof kinds[0] && strcmp(w, kinds[k].name); k++)
			;
		if (k == sizeof kinds / sizeof kinds[0]) {
			fprintf(stderr, "nscost: unknown namespace: %s\n", w);
			exit(2);
		}
		flags |= kinds[k].flag;
	}
	return flags;
}

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s)) {
		fprintf(stderr, "nscost: %s: %s\n", path, strerror(errno));
		_exit(1);
	}
	close(fd);
}

/* In a fresh user namespace with a limit of 1 per async kind: N teardowns. */
static void teardown(const char *name, int flags, int n)
{
	pid_t pid = fork();
	if (pid) {
		waitpid(pid, NULL, 0);
		return;
	}
	double *v = malloc(n * sizeof *v); /* the caller's is not forked */
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();
	if (unshare(CLONE_NEWUSER)) {
		printf("%s teardown error %d\n", name, errno);
		fflush(stdout);
		_exit(0);
	}
	write_file("/proc/self/setgroups", "deny");
	snprintf(map, sizeof map, "0 %u 1\n", gid);
	write_file("/proc/self/gid_map", map);
	snprintf(map, sizeof map, "0 %u 1\n", uid);
	write_file("/proc/self/uid_map", map);
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		char path[64];
		snprintf(path, sizeof path, "/proc/sys/user/max_%s_namespaces", kinds[i].name);
		write_file(path, "1");
	}
	for (int i = 0; i < n; i++) {
		int r;
		/* Untimed: the namespace the last round left behind goes away. */
		while ((r = create(flags, 1)) == -ENOSPC)
			;
		if (r < 0) {
			printf("%s teardown error %d\n", name, -r);
			fflush(stdout);
			_exit(0);
		}
		double t0 = now_us(), t1;
		do
			t1 = now_us();
		while ((r = create(flags, 1)) == -ENOSPC);
		v[i] = t1 - t0;
	}
	printf("%s teardown %.1f\n", name, median(v, n));
	fflush(stdout);
	_exit(0);
}

int main(int argc, char **argv)
{
	int n = 1000, i = 1, m = 2;
	if (argc > i + 1 && strcmp(argv[i], "-n") == 0) {
		n = atoi(argv[i + 1]);
		i += 2;
	}
	if (argc > i + 1 && strcmp(argv[i], "-p") == 0) {
		payload[0] = argv[i + 1];
		m = 3;
		i += 2;
	}
	int ncases = argc - i;
	if (n < 1 || ncases < 1) {
		fprintf(stderr, "usage: nscost [-n N] CASE...\n");
		return 2;
	}
	char **names = argv + i;
	int *flags = calloc(ncases, sizeof *flags);
	int *err = calloc(3 * ncases, sizeof *err);
	/* Like nsinit's samples, out of what a fork copies: the fork-style
	 * clones would otherwise measure the size of our results too. */
	size_t len = (size_t)3 * ncases * n * sizeof(double);
	double *v = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (v == MAP_FAILED || madvise(v, len, MADV_DONTFORK)) {
		perror("nscost: mmap");
		return 1;
	}
	for (int c = 0; c < ncases; c++)
		flags[c] = parse_case(names[c]);
	/* Rounds: every case and measure once per round, as nsinit bench does. */
	for (int r = 0; r < n; r++)
		for (int c = 0; c < ncases; c++)
			for (int k = 0; k < m; k++) {
				if (err[3 * c + k])
					continue;
				double t0 = now_us();
				int pid = k == 2 ? spawn(flags[c]) : create(flags[c], k);
				double t1 = now_us();
				if (pid < 0)
					err[3 * c + k] = -pid;
				v[((size_t)3 * c + k) * n + r] = t1 - t0;
			}
	const char *what[] = {"create-fork", "create-vfork", "spawn"};
	for (int c = 0; c < ncases; c++)
		for (int k = 0; k < m; k++) {
			if (err[3 * c + k])
				printf("%s %s error %d\n", names[c], what[k], err[3 * c + k]);
			else
				printf("%s %s %.1f\n", names[c], what[k], median(v + ((size_t)3 * c + k) * n, n));
		}
	fflush(stdout);
	for (int c = 0; c < ncases; c++)
		if (flags[c])
			teardown(names[c], flags[c], (n + 19) / 20);
	return 0;
}
