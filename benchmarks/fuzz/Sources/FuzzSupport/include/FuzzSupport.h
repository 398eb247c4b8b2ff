#ifndef TESSERA_FUZZ_SUPPORT_H
#define TESSERA_FUZZ_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

// SwiftPM links an executable target with `main` defined as `<module>_main` (the entry point it
// renames so tests can link executables), which replaces libFuzzer's own `main`. Each fuzzer therefore
// defines `<module>_main` itself and hands over to libFuzzer's driver, which parses the usual
// command line (-runs=, -dict=, corpus directories, …) and calls the callback for every input.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

// `<module>_main`'s whole body: libFuzzer's driver on this process's command line.
static inline int tessera_fuzz_run(int argc, char **argv, int (*callback)(const uint8_t *data, size_t size)) {
    return LLVMFuzzerRunDriver(&argc, &argv, callback);
}

#endif
