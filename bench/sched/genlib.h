/* The synthetic trace generator shared by sched-gen and bench-sched. */
#pragma once
#include <stdint.h>
#include <stdio.h>

/* Write a trace of `nodes` identical nodes and `jobs` jobs (see genlib.c). */
int sched_gen_write(FILE *f, long nodes, long jobs, uint64_t seed, double load);
