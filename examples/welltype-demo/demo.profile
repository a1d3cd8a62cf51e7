# demo.profile — settings per program for `make demo` (see README.md).
# NAME key=value...   NAME is a program's file name without .wt, or "default".
# keys: plan=<libmmtk plan>  heap=<bytes, K/M/G suffix>  budget=<instructions, 0 = none>
default       plan=MarkSweep heap=16M budget=0
binary-trees  plan=SemiSpace heap=4M
strings       plan=MarkSweep heap=2M
inventory     plan=SemiSpace heap=1M
fib           plan=MarkSweep heap=1M budget=50000000
leak          plan=MarkSweep heap=8M
