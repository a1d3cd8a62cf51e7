## libmmtk/local.mk — libmmtk, its tests, benchmarks and man page.
lib_LTLIBRARIES += libmmtk.la
include_HEADERS += libmmtk/mmtk.h
libmmtk_la_SOURCES =
libmmtk_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
libmmtk_la_LDFLAGS = -version-info $(MMTK_LT_VERSION) -no-undefined
libmmtk_la_LIBADD = libvmma.la
