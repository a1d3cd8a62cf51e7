## libmmtk/local.mk — libmmtk, its tests, benchmarks and man page.
lib_LTLIBRARIES += libmmtk.la
include_HEADERS += libmmtk/mmtk.h
libmmtk_la_SOURCES =
libmmtk_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
libmmtk_la_LDFLAGS = -version-info $(MMTK_LT_VERSION) -no-undefined
libmmtk_la_LIBADD = libvmma.la
noinst_HEADERS += libmmtk/mmtk_internal.h libmmtk/heap/chunk.h libmmtk/policy/space.h \
	libmmtk/alloc/alloc.h libmmtk/plan/plan.h
libmmtk_la_SOURCES += libmmtk/mmtk.c libmmtk/mutator.c libmmtk/gc.c libmmtk/gc_width.c libmmtk/refs.c \
	libmmtk/verify.c libmmtk/stats.c \
	libmmtk/heap/chunk.c \
	libmmtk/policy/space.c libmmtk/policy/immortal.c libmmtk/policy/copyspace.c \
	libmmtk/policy/marksweepspace.c libmmtk/policy/largeobjectspace.c \
	libmmtk/alloc/bump.c libmmtk/alloc/freelist.c libmmtk/alloc/large.c \
	libmmtk/plan/plan.c libmmtk/plan/nogc.c libmmtk/plan/marksweep.c libmmtk/plan/semispace.c \
	libmmtk/policy/markcompactspace.c libmmtk/plan/markcompact.c

## The Immix family and the generational plans.
noinst_HEADERS += libmmtk/policy/copyspace.h libmmtk/policy/immixspace.h libmmtk/plan/generational.h
libmmtk_la_SOURCES += libmmtk/policy/immixspace.c libmmtk/alloc/immix_alloc.c \
	libmmtk/plan/immix.c libmmtk/plan/generational.c libmmtk/plan/gencopy.c \
	libmmtk/plan/genimmix.c libmmtk/plan/stickyimmix.c

## Tests: the test VM (tests/testvm.[ch]) and one program per area.
noinst_HEADERS += tests/gen_common.h tests/cunit_main.h tests/refs_common.h
check_PROGRAMS += tests/test_mmtk_immix
TESTS += tests/test_mmtk_immix
tests_test_mmtk_immix_SOURCES = tests/test_mmtk_immix.c tests/gen_common.c tests/testvm.c
tests_test_mmtk_immix_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_test_mmtk_immix_LDFLAGS = $(AM_LDFLAGS) $(TEST_NO_INSTALL)
tests_test_mmtk_immix_LDADD = libmmtk.la libvmma.la $(CUNIT_LIBS)
check_PROGRAMS += tests/test_mmtk_gen
TESTS += tests/test_mmtk_gen
tests_test_mmtk_gen_SOURCES = tests/test_mmtk_gen.c tests/gen_common.c tests/testvm.c
tests_test_mmtk_gen_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_test_mmtk_gen_LDFLAGS = $(AM_LDFLAGS) $(TEST_NO_INSTALL)
tests_test_mmtk_gen_LDADD = libmmtk.la libvmma.la $(CUNIT_LIBS)
noinst_HEADERS += tests/testvm.h
check_PROGRAMS += tests/test_mmtk_plans
TESTS += tests/test_mmtk_plans
tests_test_mmtk_plans_SOURCES = tests/test_mmtk_plans.c tests/gen_common.c tests/testvm.c
tests_test_mmtk_plans_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_test_mmtk_plans_LDFLAGS = $(AM_LDFLAGS) $(TEST_NO_INSTALL)
tests_test_mmtk_plans_LDADD = libmmtk.la libvmma.la $(CUNIT_LIBS)
check_PROGRAMS += tests/test_mmtk_api tests/test_mmtk_threads
TESTS += tests/test_mmtk_api tests/test_mmtk_threads
tests_test_mmtk_api_SOURCES = tests/test_mmtk_api.c tests/testvm.c
tests_test_mmtk_api_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_test_mmtk_api_LDFLAGS = $(AM_LDFLAGS) $(TEST_NO_INSTALL)
tests_test_mmtk_api_LDADD = libmmtk.la libvmma.la $(CUNIT_LIBS)
tests_test_mmtk_threads_SOURCES = tests/test_mmtk_threads.c tests/gen_common.c tests/testvm.c
tests_test_mmtk_threads_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_test_mmtk_threads_LDFLAGS = $(AM_LDFLAGS) $(TEST_NO_INSTALL)
tests_test_mmtk_threads_LDADD = libmmtk.la libvmma.la $(CUNIT_LIBS)

## Benchmark: GCBench-style and binary-trees on every plan and Boehm GC.
BENCH_PROGS += bench/bench_gc
bench_bench_gc_SOURCES = bench/bench_gc.c
bench_bench_gc_CFLAGS = $(AM_CFLAGS) $(BDWGC_CFLAGS)
bench_bench_gc_LDADD = libmmtk.la libvmma.la $(BDWGC_LIBS)
## Benchmark: many isolated heaps (create/destroy, idle footprint, threads) against Boehm's one heap.
BENCH_PROGS += bench/bench_heaps
bench_bench_heaps_SOURCES = bench/bench_heaps.c
bench_bench_heaps_CFLAGS = $(AM_CFLAGS) $(BDWGC_CFLAGS)
bench_bench_heaps_LDADD = libmmtk.la libvmma.la $(BDWGC_LIBS)

## Man page.
dist_man3_MANS += doc/mmtk.3

## MarkCompact suite.
check_PROGRAMS += tests/test_mmtk_markcompact
TESTS += tests/test_mmtk_markcompact
tests_test_mmtk_markcompact_SOURCES = tests/test_mmtk_markcompact.c tests/gen_common.c tests/testvm.c
tests_test_mmtk_markcompact_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_test_mmtk_markcompact_LDFLAGS = $(AM_LDFLAGS) $(TEST_NO_INSTALL)
tests_test_mmtk_markcompact_LDADD = libmmtk.la libvmma.la $(CUNIT_LIBS)

## Weak slots, finalizers, pinning, conservative roots (every plan); isolation of many heaps.
check_PROGRAMS += tests/test_mmtk_refs
TESTS += tests/test_mmtk_refs
tests_test_mmtk_refs_SOURCES = tests/test_mmtk_refs.c tests/refs_common.c tests/gen_common.c tests/testvm.c
tests_test_mmtk_refs_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_test_mmtk_refs_LDFLAGS = $(AM_LDFLAGS) $(TEST_NO_INSTALL)
tests_test_mmtk_refs_LDADD = libmmtk.la libvmma.la $(CUNIT_LIBS)
check_PROGRAMS += tests/test_mmtk_pin
TESTS += tests/test_mmtk_pin
tests_test_mmtk_pin_SOURCES = tests/test_mmtk_pin.c tests/refs_common.c tests/gen_common.c tests/testvm.c
tests_test_mmtk_pin_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_test_mmtk_pin_LDFLAGS = $(AM_LDFLAGS) $(TEST_NO_INSTALL)
tests_test_mmtk_pin_LDADD = libmmtk.la libvmma.la $(CUNIT_LIBS)
check_PROGRAMS += tests/test_mmtk_isolation
TESTS += tests/test_mmtk_isolation
tests_test_mmtk_isolation_SOURCES = tests/test_mmtk_isolation.c tests/testvm.c
tests_test_mmtk_isolation_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_test_mmtk_isolation_LDFLAGS = $(AM_LDFLAGS) $(TEST_NO_INSTALL)
tests_test_mmtk_isolation_LDADD = libmmtk.la libvmma.la $(CUNIT_LIBS)
