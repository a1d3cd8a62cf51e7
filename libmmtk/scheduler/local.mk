## libmmtk/scheduler/local.mk — the work-packet scheduler and its test.
noinst_HEADERS += libmmtk/scheduler/scheduler.h
libmmtk_la_SOURCES += libmmtk/scheduler/scheduler.c

## The test and the benchmark compile the scheduler in directly: its
## symbols are internal to libmmtk (hidden), and they need no heap.
check_PROGRAMS += tests/test_mmtk_scheduler
TESTS += tests/test_mmtk_scheduler
tests_test_mmtk_scheduler_SOURCES = tests/test_mmtk_scheduler.c \
	libmmtk/scheduler/scheduler.c
tests_test_mmtk_scheduler_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_test_mmtk_scheduler_LDADD = $(CUNIT_LIBS)
tests_test_mmtk_scheduler_LDFLAGS = $(AM_LDFLAGS) $(TEST_NO_INSTALL)

BENCH_PROGS += bench/bench_sched
bench_bench_sched_SOURCES = bench/bench_sched.c libmmtk/scheduler/scheduler.c
bench_bench_sched_CFLAGS = $(AM_CFLAGS)

## The same goal on a real heap: full collections of a 200 MiB live graph
## with threads=1 and threads=2 (through the public API and the test VM).
BENCH_PROGS += bench/bench_sched_heap
bench_bench_sched_heap_SOURCES = bench/bench_sched_heap.c tests/testvm.c
bench_bench_sched_heap_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
bench_bench_sched_heap_LDADD = libmmtk.la libvmma.la
