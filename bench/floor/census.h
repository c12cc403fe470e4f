/* The census map's layout, shared by the program that fills it
 * (sockops_floor.bpf.c) and the loader that reads it (sockops_floor.cpp):
 * callbacks by op, then, past the ops, state changes by the state entered. */
#pragma once
#define CENSUS_OPS 32
#define CENSUS_STATES 16
