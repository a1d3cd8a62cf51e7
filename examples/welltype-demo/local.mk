## examples/welltype-demo/local.mk — the welltype demo VM, its programs and tests.
## `make demo` builds the VM and runs every shipped program under the bundled
## profile, printing the table.
WT_DEMO_FRONT = \
	examples/welltype-demo/wt.h \
	examples/welltype-demo/compile.h \
	examples/welltype-demo/lexer.c \
	examples/welltype-demo/parser.c \
	examples/welltype-demo/compile.c \
	examples/welltype-demo/compile_expr.c
WT_DEMO_CORE = $(WT_DEMO_FRONT) \
	examples/welltype-demo/vm.h \
	examples/welltype-demo/heap.c \
	examples/welltype-demo/vm.c \
	examples/welltype-demo/runner.c
WT_DEMO_SOURCES_WT = \
	examples/welltype-demo/programs/binary-trees.wt \
	examples/welltype-demo/programs/strings.wt \
	examples/welltype-demo/programs/inventory.wt \
	examples/welltype-demo/programs/fib.wt \
	examples/welltype-demo/programs/leak.wt \
	examples/welltype-demo/programs/forever.wt
WT_DEMO_EXPECTED = \
	examples/welltype-demo/programs/binary-trees.out \
	examples/welltype-demo/programs/strings.out \
	examples/welltype-demo/programs/inventory.out \
	examples/welltype-demo/programs/fib.out

WT_DEMO_DIR_FLAG = -DWT_DEMO_DIR='"$(abs_top_srcdir)/examples/welltype-demo"'

noinst_PROGRAMS += examples/welltype-demo/welltype-demo
examples_welltype_demo_welltype_demo_SOURCES = examples/welltype-demo/main.c $(WT_DEMO_CORE)
examples_welltype_demo_welltype_demo_LDADD = libmmtk.la libvmma.la

check_PROGRAMS += examples/welltype-demo/tests/test_demo_frontend
TESTS += examples/welltype-demo/tests/test_demo_frontend
examples_welltype_demo_tests_test_demo_frontend_SOURCES = \
	examples/welltype-demo/tests/test_demo_frontend.c $(WT_DEMO_FRONT)
examples_welltype_demo_tests_test_demo_frontend_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
examples_welltype_demo_tests_test_demo_frontend_CPPFLAGS = $(AM_CPPFLAGS) $(WT_DEMO_DIR_FLAG)
examples_welltype_demo_tests_test_demo_frontend_LDADD = $(CUNIT_LIBS)
examples_welltype_demo_tests_test_demo_frontend_LDFLAGS = $(TEST_NO_INSTALL)

check_PROGRAMS += examples/welltype-demo/tests/test_demo_programs
TESTS += examples/welltype-demo/tests/test_demo_programs
examples_welltype_demo_tests_test_demo_programs_SOURCES = \
	examples/welltype-demo/tests/test_demo_programs.c $(WT_DEMO_CORE)
examples_welltype_demo_tests_test_demo_programs_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
examples_welltype_demo_tests_test_demo_programs_CPPFLAGS = $(AM_CPPFLAGS) $(WT_DEMO_DIR_FLAG) \
	-DWT_DEMO_BIN='"$(abs_top_builddir)/examples/welltype-demo/welltype-demo$(EXEEXT)"'
examples_welltype_demo_tests_test_demo_programs_LDADD = libmmtk.la libvmma.la $(CUNIT_LIBS)
examples_welltype_demo_tests_test_demo_programs_LDFLAGS = $(TEST_NO_INSTALL)

EXTRA_DIST += examples/welltype-demo/README.md examples/welltype-demo/demo.profile \
	$(WT_DEMO_SOURCES_WT) $(WT_DEMO_EXPECTED)

demo: examples/welltype-demo/welltype-demo$(EXEEXT)
	./examples/welltype-demo/welltype-demo$(EXEEXT) \
	  --profile $(srcdir)/examples/welltype-demo/demo.profile $(WT_DEMO_SOURCES_WT:%=$(srcdir)/%)
