## libmmtk/scheduler/local.mk — the work-packet scheduler and its test.
noinst_HEADERS += libmmtk/scheduler/scheduler.h
