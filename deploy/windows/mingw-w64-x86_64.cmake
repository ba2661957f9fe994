# Cross-compiling for Windows x64 with Debian's mingw-w64 (the -posix thread model, which
# std::thread and gRPC need). Used by deploy/windows/build-deps.sh for the dependencies and by the
# `windows` preset for kerbside itself.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(_triple x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${_triple}-gcc-posix)
set(CMAKE_CXX_COMPILER ${_triple}-g++-posix)
set(CMAKE_RC_COMPILER ${_triple}-windres)
set(CMAKE_AR ${_triple}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${_triple}-ranlib CACHE FILEPATH "")

# Windows 10 / Server 2016 and later: the event log, SSPI and service APIs the agent uses.
# STRSAFE_NO_DEPRECATE: gRPC and OpenSSL use the C string functions strsafe.h would forbid.
add_compile_definitions(_WIN32_WINNT=0x0A00 WINVER=0x0A00 STRSAFE_NO_DEPRECATE)

# KERBSIDE_WINDEPS_PREFIX: the prefix build-deps.sh printed. Libraries and headers come only from
# it and from mingw's own sysroot; programs (protoc, grpc_cpp_plugin) from the build machine.
if(DEFINED ENV{KERBSIDE_WINDEPS_PREFIX} AND NOT KERBSIDE_WINDEPS_PREFIX)
  set(KERBSIDE_WINDEPS_PREFIX $ENV{KERBSIDE_WINDEPS_PREFIX})
endif()
set(CMAKE_FIND_ROOT_PATH ${KERBSIDE_WINDEPS_PREFIX} /usr/${_triple})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# try_compile projects see the prefix too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES KERBSIDE_WINDEPS_PREFIX)

# Tests of the cross-built code run under Wine (ctest and add_test use this).
find_program(KERBSIDE_WINE NAMES wine64 wine PATHS /usr/lib/wine NO_CMAKE_FIND_ROOT_PATH)
if(KERBSIDE_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${KERBSIDE_WINE})
endif()
