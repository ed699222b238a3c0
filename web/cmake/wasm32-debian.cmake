# A wasm32 toolchain for IREE's runtime with Debian's clang-19 and lld-19.
#
# IREE's own build_tools/cmake/wasm32.cmake downloads wasi-sdk, which this
# build cannot reach, and turns the VMVX and system-library executable loaders
# off. This file sets the same freestanding flags (IREE's minimal libc headers,
# no threads) with the Debian tools, and turns on the two loaders WebTensor
# needs: the system-library loader (wasm side modules from llvm-cpu) and VMVX.
# IREE_SOURCE_DIR must be set by the caller (web/build.sh does).

if(WEBTENSOR_WASM32_TOOLCHAIN_INCLUDED)
  return()
endif()
set(WEBTENSOR_WASM32_TOOLCHAIN_INCLUDED true)

set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR wasm32)

set(CMAKE_C_COMPILER clang-19)
set(CMAKE_CXX_COMPILER clang++-19)
set(CMAKE_AR llvm-ar-19)
set(CMAKE_RANLIB llvm-ranlib-19)
set(CMAKE_STRIP llvm-strip-19)
set(CMAKE_LINKER wasm-ld-19)
# CMake's try_compile cannot link a freestanding wasm program without our libc.
set(CMAKE_C_COMPILER_WORKS ON)
set(CMAKE_CXX_COMPILER_WORKS ON)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(_WT_LIBC_INCLUDE "${IREE_SOURCE_DIR}/build_tools/wasm/libc/include")
set(_WT_COMPILE_FLAGS "--target=wasm32-unknown-unknown -nostdinc -nostdlib -ffreestanding \
-isystem ${_WT_LIBC_INCLUDE} \
-fno-exceptions -fno-rtti -fvisibility=hidden -fno-short-wchar \
-mbulk-memory -msign-ext -mnontrapping-fptoint -msimd128 \
-DIREE_SYNCHRONIZATION_DISABLE_UNSAFE=1 -DIREE_THREADING_ENABLE=0 -DIREE_PLATFORM_WEB=1")
set(CMAKE_C_FLAGS_INIT "${_WT_COMPILE_FLAGS}")
set(CMAKE_CXX_FLAGS_INIT "${_WT_COMPILE_FLAGS}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "--target=wasm32-unknown-unknown -nostdlib -fuse-ld=lld")

set(CMAKE_CROSSCOMPILING ON CACHE BOOL "")
set(IREE_ENABLE_THREADING OFF CACHE BOOL "" FORCE)
set(IREE_SYNCHRONIZATION_DISABLE_UNSAFE ON CACHE BOOL "" FORCE)
set(IREE_BUILD_COMPILER OFF CACHE BOOL "" FORCE)
set(IREE_BUILD_TESTS OFF CACHE BOOL "" FORCE)
set(IREE_BUILD_SAMPLES OFF CACHE BOOL "" FORCE)
set(IREE_BUILD_BINDINGS_TFLITE OFF CACHE BOOL "" FORCE)
set(IREE_BUILD_BINDINGS_TFLITE_JAVA OFF CACHE BOOL "" FORCE)
set(IREE_HAL_DRIVER_DEFAULTS OFF CACHE BOOL "" FORCE)
set(IREE_HAL_DRIVER_LOCAL_SYNC ON CACHE BOOL "" FORCE)
set(IREE_HAL_DRIVER_LOCAL_TASK OFF CACHE BOOL "" FORCE)
set(IREE_HAL_EXECUTABLE_LOADER_DEFAULTS OFF CACHE BOOL "" FORCE)
set(IREE_HAL_EXECUTABLE_LOADER_SYSTEM_LIBRARY ON CACHE BOOL "" FORCE)
set(IREE_HAL_EXECUTABLE_LOADER_VMVX_MODULE ON CACHE BOOL "" FORCE)
set(IREE_HAL_EXECUTABLE_PLUGIN_DEFAULTS OFF CACHE BOOL "" FORCE)
set(IREE_WASM_BUILD_IREE_LIBC ON CACHE BOOL "" FORCE)
