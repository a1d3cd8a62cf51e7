## libvmma/local.mk — libvmma, its tests, benchmark and man page.
lib_LTLIBRARIES += libvmma.la
include_HEADERS += libvmma/libvmma.h
libvmma_la_SOURCES =
libvmma_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
libvmma_la_LDFLAGS = -version-info $(VMMA_LT_VERSION) -no-undefined
