## libvmma/local.mk — libvmma, its tests, benchmark and man page.
lib_LTLIBRARIES += libvmma.la
include_HEADERS += libvmma/libvmma.h
noinst_HEADERS += libvmma/internal.h libvmma/buddy.h libvmma/track.h
libvmma_la_SOURCES = libvmma/context.c libvmma/client.c libvmma/buddy.c \
	libvmma/stats.c libvmma/poison.c
libvmma_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
libvmma_la_LDFLAGS = -version-info $(VMMA_LT_VERSION) -no-undefined

## Tests (CUnit). tests/vmma_test.h holds helpers shared by the suites.
noinst_HEADERS += tests/vmma_test.h
check_PROGRAMS += tests/test_vmma_basic
TESTS += tests/test_vmma_basic
tests_test_vmma_basic_SOURCES = tests/test_vmma_basic.c
tests_test_vmma_basic_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_test_vmma_basic_LDFLAGS = $(TEST_NO_INSTALL)
tests_test_vmma_basic_LDADD = libvmma.la $(CUNIT_LIBS)
