/*
 * Interleaving timer for bench/run.
 *
 *   harness [-w WARMUP] [-b BASE] [-t NAME:REF:MAX]... ROUNDS -- \
 *           NAME /abs/cmd [ARG...] [::: NAME /abs/cmd [ARG...]]...
 *
 * Every round runs each command once, so slow drift of the machine (thermal,
 * page cache, a neighbour VM) hits all commands alike. The order is shuffled
 * anew each round (a fixed seed: runs are repeatable): a command that follows
 * one which made namespaces pays for their teardown, which the kernel does
 * after wait4 returns (an RCU callback, a workqueue). In a fixed order, with
 * only the first command rotating, that charged 3-6% to whichever command
 * always came after a PID namespace's creator.
 * Ratios are medians of per-round ratios, which keeps the pairing that the
 * interleaving buys; a ratio of two medians would throw it away.
 *
 * -b picks the ratio baseline (default: the first command).
 * -t adds a target line: PASS if median(NAME/REF per round) <= MAX.
 * Exit status: 0, or 1 if any target failed, 2 on usage or run errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct cmd {
	const char *name;
	char **argv;
	double *us;	/* per round, microseconds */
};

struct target {
	const char *name, *ref;
	double max, got;
};

static struct cmd *cmds;
static int ncmds, warmup = 5;
static posix_spawn_file_actions_t quiet;

static void usage(void)
{
	fprintf(stderr,
		"usage: harness [-w WARMUP] [-b BASE] [-t NAME:REF:MAX]... ROUNDS -- "
		"NAME /abs/cmd [ARG...] [::: NAME /abs/cmd [ARG...]]...\n");
	exit(2);
}

static void die_cmd(const struct cmd *c, const char *what, int round)
{
	fprintf(stderr, "harness: '%s' %s (%sround %d):", c->name, what,
		round < 0 ? "warm-up " : "", round < 0 ? round + warmup + 1 : round + 1);
	for (char **a = c->argv; *a; a++)
		fprintf(stderr, " %s", *a);
	fprintf(stderr, "\nharness: its output went to /dev/null; run it by hand to see why\n");
	exit(2);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double run_once(const struct cmd *c, int round)
{
	int status, err;
	pid_t pid;
	double t0 = now_us();

	err = posix_spawn(&pid, c->argv[0], &quiet, NULL, c->argv, environ);
	if (err) {
		errno = err;
		perror("harness: posix_spawn");
		die_cmd(c, "could not be started", round);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			perror("harness: waitpid");
			exit(2);
		}
	double t1 = now_us();

	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char what[64];

		if (WIFEXITED(status))
			snprintf(what, sizeof what, "exited with status %d", WEXITSTATUS(status));
		else
			snprintf(what, sizeof what, "was killed by signal %d", WTERMSIG(status));
		die_cmd(c, what, round);
	}
	return t1 - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Linear interpolation between order statistics; sorts v in place. */
static double quantile(double *v, int n, double q)
{
	qsort(v, n, sizeof *v, cmp_double);
	double h = (n - 1) * q;
	int lo = (int)h;

	return lo + 1 < n ? v[lo] + (h - lo) * (v[lo + 1] - v[lo]) : v[lo];
}

static double median_ratio(const struct cmd *c, const struct cmd *ref, int rounds)
{
	double *r = malloc(rounds * sizeof *r);

	for (int i = 0; i < rounds; i++)
		r[i] = c->us[i] / ref->us[i];
	double m = quantile(r, rounds, 0.5);
	free(r);
	return m;
}

static struct cmd *find(const char *name)
{
	for (int i = 0; i < ncmds; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	fprintf(stderr, "harness: no command named '%s'\n", name);
	exit(2);
}

static void parse_cmds(int argc, char **argv)
{
	cmds = calloc(argc, sizeof *cmds);
	for (int i = 0; i < argc; i++) {
		int start = i;

		while (i < argc && strcmp(argv[i], ":::"))
			i++;
		if (i - start < 2)
			usage();
		argv[i] = NULL; /* ":::" or argv's own terminator */
		cmds[ncmds].name = argv[start];
		cmds[ncmds].argv = &argv[start + 1];
		/* posix_spawn does no PATH search; a relative path would time cwd luck. */
		if (argv[start + 1][0] != '/') {
			fprintf(stderr, "harness: '%s': command path must be absolute: %s\n",
				argv[start], argv[start + 1]);
			exit(2);
		}
		for (int j = 0; j < ncmds; j++)
			if (!strcmp(cmds[j].name, cmds[ncmds].name)) {
				fprintf(stderr, "harness: duplicate name '%s'\n", cmds[j].name);
				exit(2);
			}
		ncmds++;
	}
}

int main(int argc, char **argv)
{
	struct target *targets = calloc(argc, sizeof *targets);
	const char *base_name = NULL;
	int ntargets = 0, opt;

	while ((opt = getopt(argc, argv, "+w:b:t:")) != -1) {
		switch (opt) {
		case 'w':
			warmup = atoi(optarg);
			break;
		case 'b':
			base_name = optarg;
			break;
		case 't': {
			struct target *t = &targets[ntargets++];
			char *ref = strchr(optarg, ':');
			char *max = ref ? strchr(ref + 1, ':') : NULL;

			if (!max)
				usage();
			*ref++ = *max++ = '\0';
			t->name = optarg;
			t->ref = ref;
			t->max = strtod(max, NULL);
			break;
		}
		default:
			usage();
		}
	}
	if (argc - optind < 3 || strcmp(argv[optind + 1], "--"))
		usage();
	int rounds = atoi(argv[optind]);
	if (rounds < 1 || warmup < 0)
		usage();
	parse_cmds(argc - optind - 2, argv + optind + 2);

	struct cmd *base = base_name ? find(base_name) : &cmds[0];
	for (int i = 0; i < ntargets; i++) {
		find(targets[i].name);
		find(targets[i].ref);
	}

	/* Same fds for every command: output costs nothing and cannot block. */
	posix_spawn_file_actions_init(&quiet);
	posix_spawn_file_actions_addopen(&quiet, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&quiet, 2, "/dev/null", O_WRONLY, 0);

	for (int i = 0; i < ncmds; i++)
		cmds[i].us = malloc(rounds * sizeof(double));

	int *order = malloc(ncmds * sizeof *order);
	for (int i = 0; i < ncmds; i++)
		order[i] = i;
	unsigned long long seed = 0x9e3779b97f4a7c15ull;
	for (int r = -warmup; r < rounds; r++) {
		/* Fisher-Yates, from xorshift64. */
		for (int i = ncmds - 1; i > 0; i--) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			int j = seed % (i + 1), t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		for (int k = 0; k < ncmds; k++) {
			struct cmd *c = &cmds[order[k]];
			double us = run_once(c, r);

			if (r >= 0)
				c->us[r] = us;
		}
	}

	/* Ratios first: quantile() sorts the time arrays and breaks the pairing. */
	double *ratio = malloc(ncmds * sizeof *ratio);
	for (int i = 0; i < ncmds; i++)
		ratio[i] = median_ratio(&cmds[i], base, rounds);
	for (int i = 0; i < ntargets; i++)
		targets[i].got = median_ratio(find(targets[i].name), find(targets[i].ref), rounds);

	int w = 7;
	for (int i = 0; i < ncmds; i++)
		if ((int)strlen(cmds[i].name) > w)
			w = strlen(cmds[i].name);

	printf("\n%d rounds (+%d warm-up), %d commands, interleaved; times in microseconds\n\n",
	       rounds, warmup, ncmds);
	printf("%-*s  %9s  %9s  %9s  %9s\n", w, "command", "median", "p10", "p90", "x base");
	for (int i = 0; i < ncmds; i++) {
		struct cmd *c = &cmds[i];
		double med = quantile(c->us, rounds, 0.5);

		printf("%-*s  %9.1f  %9.1f  %9.1f  %9.3f%s\n", w, c->name, med,
		       quantile(c->us, rounds, 0.1), quantile(c->us, rounds, 0.9),
		       ratio[i], c == base ? "  (base)" : "");
	}
	int failed = 0;
	if (ntargets)
		printf("\n");
	for (int i = 0; i < ntargets; i++) {
		struct target *t = &targets[i];
		int pass = t->got <= t->max;

		printf("%s  %s / %s = %.3f  (target <= %.2f)\n", pass ? "PASS" : "FAIL",
		       t->name, t->ref, t->got, t->max);
		failed |= !pass;
	}
	return failed;
}
