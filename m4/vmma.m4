# m4/vmma.m4 — the project's own configure macros.

# VMMA_FEATURE(switch-name, FLAG, shell-name)
# --disable-<switch-name> compiles VMMA_FEATURE_<FLAG> out of libvmma;
# otherwise config.h defines VMMA_HAVE_<FLAG>.
AC_DEFUN([VMMA_FEATURE], [
  AC_ARG_ENABLE([$1], [AS_HELP_STRING([--disable-$1], [compile out VMMA_FEATURE_$2])],
                [], [enable_$3=yes])
  AS_IF([test "x$enable_$3" != xno],
        [AC_DEFINE([VMMA_HAVE_$2], [1], [VMMA_FEATURE_$2 is compiled in])])
  AC_MSG_CHECKING([whether to compile in VMMA_FEATURE_$2])
  AC_MSG_RESULT([$enable_$3])
])

# VMMA_PEER(VAR, pkg-config name, shell name, library, function)
# A peer for the benchmarks: defines HAVE_<VAR>, <VAR>_CFLAGS/<VAR>_LIBS and
# the AM_CONDITIONAL HAVE_<VAR>. Falls back to a plain library check where
# the package ships no .pc file.
AC_DEFUN([VMMA_PEER], [
  PKG_CHECK_MODULES([$1], [$2], [have_$3=yes], [
    AC_CHECK_LIB([$4], [$5], [have_$3=yes; $1_LIBS=-l$4; $1_CFLAGS=], [have_$3=no])])
  AS_IF([test "x$have_$3" = xyes],
        [AC_DEFINE([HAVE_$1], [1], [peer $2 available for benchmarks])])
  AM_CONDITIONAL([HAVE_$1], [test "x$have_$3" = xyes])
])
