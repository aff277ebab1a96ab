/* Prints the SHA-256 of each file as sha256sum does, for the test that
 * compares tools/vspace/sha256.c with coreutils. */
#include <stdio.h>

#include "sha256.h"

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (f == NULL) {
            perror(argv[i]);
            return 2;
        }
        sha256_ctx c;
        sha256_init(&c);
        unsigned char buf[1000]; /* not a multiple of the block size */
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
            sha256_update(&c, buf, n);
        }
        fclose(f);
        uint8_t d[32];
        sha256_final(&c, d);
        for (int k = 0; k < 32; k++) {
            printf("%02x", d[k]);
        }
        printf("  %s\n", argv[i]);
    }
    return 0;
}
