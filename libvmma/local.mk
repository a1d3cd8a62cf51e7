## libvmma/local.mk — libvmma, its tests, benchmark and man page.
lib_LTLIBRARIES += libvmma.la
include_HEADERS += libvmma/libvmma.h
noinst_HEADERS += libvmma/internal.h libvmma/buddy.h libvmma/fastpath.h libvmma/track.h
libvmma_la_SOURCES = libvmma/context.c libvmma/client.c libvmma/alloc.c libvmma/buddy.c \
	libvmma/stats.c libvmma/poison.c libvmma/lock.c
libvmma_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
libvmma_la_LDFLAGS = -version-info $(VMMA_LT_VERSION) -no-undefined

## Tests (CUnit). tests/vmma_test.h holds helpers shared by the suites.
noinst_HEADERS += tests/vmma_test.h
VMMA_TESTS = tests/test_vmma_basic tests/test_vmma_features tests/test_vmma_stress \
	tests/test_vmma_threads
check_PROGRAMS += $(VMMA_TESTS)
TESTS += $(VMMA_TESTS)
VMMA_TEST_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
VMMA_TEST_LDADD = libvmma.la $(CUNIT_LIBS)
tests_test_vmma_basic_SOURCES = tests/test_vmma_basic.c
tests_test_vmma_basic_CFLAGS = $(VMMA_TEST_CFLAGS)
tests_test_vmma_basic_LDFLAGS = $(TEST_NO_INSTALL)
tests_test_vmma_basic_LDADD = $(VMMA_TEST_LDADD)
tests_test_vmma_features_SOURCES = tests/test_vmma_features.c
tests_test_vmma_features_CFLAGS = $(VMMA_TEST_CFLAGS)
tests_test_vmma_features_LDFLAGS = $(TEST_NO_INSTALL)
tests_test_vmma_features_LDADD = $(VMMA_TEST_LDADD)
tests_test_vmma_stress_SOURCES = tests/test_vmma_stress.c
tests_test_vmma_stress_CFLAGS = $(VMMA_TEST_CFLAGS)
tests_test_vmma_stress_LDFLAGS = $(TEST_NO_INSTALL)
tests_test_vmma_stress_LDADD = $(VMMA_TEST_LDADD)
tests_test_vmma_threads_SOURCES = tests/test_vmma_threads.c
tests_test_vmma_threads_CFLAGS = $(VMMA_TEST_CFLAGS)
tests_test_vmma_threads_LDFLAGS = $(TEST_NO_INSTALL)
tests_test_vmma_threads_LDADD = $(VMMA_TEST_LDADD)

## Benchmark: `make bench` runs bench/bench_vmma, which runs the peers that
## need a process of their own (mimalloc, jemalloc replace malloc) and
## prints one ratio table.
BENCH_PROGS += bench/bench_vmma
noinst_HEADERS += bench/bench_vmma.h
bench_bench_vmma_SOURCES = bench/bench_vmma.c
bench_bench_vmma_CFLAGS = $(AM_CFLAGS) -O2 $(TALLOC_CFLAGS) $(APR_CFLAGS)
bench_bench_vmma_LDFLAGS = $(TEST_NO_INSTALL)
bench_bench_vmma_LDADD = libvmma.la $(TALLOC_LIBS) $(APR_LIBS)
EXTRA_bench_bench_vmma_DEPENDENCIES =
EXTRA_PROGRAMS += bench/bench_vmma_mimalloc bench/bench_vmma_jemalloc
CLEANFILES += bench/bench_vmma_mimalloc bench/bench_vmma_jemalloc
bench_bench_vmma_mimalloc_SOURCES = bench/bench_vmma_mimalloc.c
bench_bench_vmma_mimalloc_CFLAGS = $(AM_CFLAGS) -O2 $(MIMALLOC_CFLAGS)
bench_bench_vmma_mimalloc_LDADD = $(MIMALLOC_LIBS)
bench_bench_vmma_jemalloc_SOURCES = bench/bench_vmma_jemalloc.c
bench_bench_vmma_jemalloc_CFLAGS = $(AM_CFLAGS) -O2 $(JEMALLOC_CFLAGS)
bench_bench_vmma_jemalloc_LDADD = $(JEMALLOC_LIBS)
if HAVE_MIMALLOC
EXTRA_bench_bench_vmma_DEPENDENCIES += bench/bench_vmma_mimalloc$(EXEEXT)
endif
if HAVE_JEMALLOC
EXTRA_bench_bench_vmma_DEPENDENCIES += bench/bench_vmma_jemalloc$(EXEEXT)
endif

## Manual page.
dist_man3_MANS += doc/libvmma.3
