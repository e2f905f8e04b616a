/* sched-gen: synthetic workload traces for cella-sched (JSON lines, docs/sched.md).
 *
 *   sched-gen --nodes N --jobs J [--seed S] [--load L]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "genlib.h"

int main(int argc, char **argv)
{
        long nodes = 1000, jobs = 20000;
        uint64_t seed = 1;
        double load = 0.75;
        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--nodes") && i + 1 < argc)
                        nodes = atol(argv[++i]);
                else if (!strcmp(argv[i], "--jobs") && i + 1 < argc)
                        jobs = atol(argv[++i]);
                else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
                        seed = strtoull(argv[++i], NULL, 10);
                else if (!strcmp(argv[i], "--load") && i + 1 < argc)
                        load = atof(argv[++i]);
                else {
                        fprintf(stderr, "usage: sched-gen --nodes N --jobs J [--seed S] [--load L]\n");
                        return 2;
                }
        }
        if (nodes < 1 || jobs < 1 || load <= 0) {
                fprintf(stderr, "sched-gen: nodes, jobs and load must be positive\n");
                return 2;
        }
        return sched_gen_write(stdout, nodes, jobs, seed, load) < 0 ? 1 : 0;
}
