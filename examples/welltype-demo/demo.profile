# demo.profile — settings per program for `make demo` (see README.md).
# NAME key=value...   NAME is a program's file name without .wt, or "default".
# keys: plan=<libmmtk plan>  heap=<bytes, K/M/G suffix>  budget=<instructions, 0 = none>
# Each program gets a different plan: every heap is isolated, in one process.
default       plan=MarkSweep heap=16M budget=0
binary-trees  plan=GenImmix heap=4M
strings       plan=Immix heap=2M
inventory     plan=GenCopy heap=1M
fib           plan=MarkCompact heap=1M budget=50000000
leak          plan=SemiSpace heap=8M
forever       plan=MarkSweep heap=1M budget=20000000
