// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The benchmark's child program. One binary, several roles:
//   pk_gen bytes N   write N zero bytes to stdout (vmsplice into a pipe, else write)
//   pk_gen lines N   write N short lines (4..27 bytes incl. '\n') to stdout
//   pk_gen idle      block until killed (an idle child with open pipes)
//   pk_gen stamp     print CLOCK_MONOTONIC in ns, then exit at once
//   pk_gen tree N    fork N children that block until killed, print "ready\n",
//                    then block until killed (a 1+N process tree)
//   pk_gen forker    fork one grandchild that blocks until killed (it keeps the
//                    inherited stdio), print "ready GPID\n", then exit 0 at
//                    SIGUSR1 (the grandchild stays behind for the group to kill)
//   pk_gen count     read stdin to EOF (splice into /dev/null when stdin is a
//                    pipe, else read()), then print the byte count and "\n"
// The generators are as cheap as the kernel allows, so that the reader's side
// (what is being measured) is the bottleneck.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static int write_all(int fd, const char* p, size_t n)
{
    while (n > 0)
    {
        ssize_t w = write(fd, p, n);
        if (w < 0)
        {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

// Push `n` bytes of `buf` (which never changes) into fd 1, zero-copy when
// stdout is a pipe. The pages are only referenced by the pipe, and their
// content is constant, so reuse is safe.
static int emit(const char* buf, size_t n, int use_vmsplice)
{
    while (n > 0)
    {
        if (use_vmsplice)
        {
            struct iovec iov = {(void*)buf, n};
            ssize_t w = vmsplice(1, &iov, 1, 0);
            if (w < 0)
            {
                if (errno == EINTR)
                    continue;
                return -1;
            }
            buf += w;
            n -= (size_t)w;
        }
        else
            return write_all(1, buf, n);
    }
    return 0;
}

static int stdout_is_pipe(void)
{
    struct stat st;
    return fstat(1, &st) == 0 && S_ISFIFO(st.st_mode);
}

static void block_forever(void)
{
    for (;;)
        pause();
}

int main(int argc, char** argv)
{
    if (argc < 2)
    {
        fprintf(stderr, "usage: pk_gen bytes N | lines N | idle | stamp | tree N | forker | count\n");
        return 2;
    }
    const char* mode = argv[1];
    unsigned long long n = argc > 2 ? strtoull(argv[2], NULL, 10) : 0;

    if (strcmp(mode, "bytes") == 0)
    {
        enum { chunk = 1 << 20 };
        static char zeros[chunk] __attribute__((aligned(4096)));
        int vs = stdout_is_pipe();
        while (n > 0)
        {
            size_t k = n < chunk ? (size_t)n : chunk;
            if (emit(zeros, k, vs) != 0)
                return 1;
            n -= k;
        }
        return 0;
    }
    if (strcmp(mode, "lines") == 0)
    {
        // A block of lines of varied short lengths, written repeatedly.
        enum { block_lines = 16384 };
        static char block[block_lines * 28] __attribute__((aligned(4096)));
        static size_t ends[block_lines]; // offset just past line i
        size_t off = 0;
        for (int i = 0; i < block_lines; ++i)
        {
            int len = 3 + (int)((i * 7u + (unsigned)i / 5u) % 24u); // 3..26 visible chars
            for (int j = 0; j < len; ++j)
                block[off++] = (char)('a' + (i + j) % 26);
            block[off++] = '\n';
            ends[i] = off;
        }
        int vs = stdout_is_pipe();
        while (n > 0)
        {
            size_t k = n < block_lines ? (size_t)n : block_lines;
            if (emit(block, ends[k - 1], vs) != 0)
                return 1;
            n -= k;
        }
        return 0;
    }
    if (strcmp(mode, "idle") == 0)
        block_forever();
    if (strcmp(mode, "stamp") == 0)
    {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        char buf[32];
        int len = snprintf(buf, sizeof buf, "%lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
        write_all(1, buf, (size_t)len);
        _exit(0);
    }
    if (strcmp(mode, "tree") == 0)
    {
        for (unsigned long long i = 0; i < n; ++i)
        {
            pid_t p = fork();
            if (p == 0)
                block_forever();
            if (p < 0)
            {
                perror("pk_gen tree: fork");
                return 1;
            }
        }
        write_all(1, "ready\n", 6);
        block_forever();
    }
    if (strcmp(mode, "forker") == 0)
    {
        pid_t g = fork();
        if (g == 0)
            block_forever();
        if (g < 0)
        {
            perror("pk_gen forker: fork");
            return 1;
        }
        // SIGUSR1 blocked and taken with sigwaitinfo: no handler, no race
        // between "ready" and the signal.
        sigset_t usr1;
        sigemptyset(&usr1);
        sigaddset(&usr1, SIGUSR1);
        sigprocmask(SIG_BLOCK, &usr1, NULL);
        char buf[32];
        int len = snprintf(buf, sizeof buf, "ready %d\n", (int)g);
        if (write_all(1, buf, (size_t)len) != 0)
            return 1;
        while (sigwaitinfo(&usr1, NULL) < 0 && errno == EINTR)
            ;
        _exit(0);
    }
    if (strcmp(mode, "count") == 0)
    {
        // The sink at the end of a pipeline: as cheap as the kernel allows
        // (no copy to user space while stdin is a pipe), so that the stages
        // before it are what is measured.
        unsigned long long total = 0;
        int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        int use_splice = null >= 0;
        static char buf[1 << 20];
        for (;;)
        {
            ssize_t r;
            if (use_splice)
            {
                r = splice(0, NULL, null, NULL, 1 << 20, SPLICE_F_MOVE);
                if (r < 0 && errno == EINVAL)
                {
                    use_splice = 0; // stdin is not a pipe
                    continue;
                }
            }
            else
                r = read(0, buf, sizeof buf);
            if (r > 0)
                total += (unsigned long long)r;
            else if (r == 0)
                break;
            else if (errno != EINTR)
            {
                perror("pk_gen count");
                return 1;
            }
        }
        char out[32];
        int len = snprintf(out, sizeof out, "%llu\n", total);
        return write_all(1, out, (size_t)len) == 0 ? 0 : 1;
    }
    fprintf(stderr, "pk_gen: unknown mode %s\n", mode);
    return 2;
}
