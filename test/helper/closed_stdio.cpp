// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// A processkit user whose own stdin, stdout or stderr is closed, as a daemon
// or a service started with closed stdio is:
//
//   pk_closed_stdio FDS HELPER      FDS: comma-separated subset of 0,1,2
//
// closes FDS, then runs `HELPER cat` twice -- live (start(): stdin written
// interactively, stdout read as lines) and to completion (stdin bytes) --
// and checks the child read the input and wrote it back. Exit 0 when both
// worked; otherwise 1, with the reason written to a stderr that is still
// open (or lost when stderr is one of FDS: the exit code still tells).

#include <boost/processkit/process_runner.hpp>
#include <boost/processkit/running_process.hpp>

#include <chrono>
#include <cstring>
#include <string>
#include <unistd.h>

namespace pk = boost::processkit;

namespace {

int fail(const std::string& why)
{
    std::string text = "pk_closed_stdio: " + why + "\n";
    (void)!::write(STDERR_FILENO, text.data(), text.size());
    return 1;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 3)
        return fail("usage: pk_closed_stdio FDS HELPER");
    for (const char* p = argv[1]; *p; ++p)
        if (*p >= '0' && *p <= '2')
            ::close(*p - '0');
    const std::string helper = argv[2];

    auto cat = pk::start(pk::command(helper).arg("cat"));
    if (!cat)
        return fail("start: " + cat.error().message());
    auto in = cat.value().std_in();
    if (auto w = in.write_line("hello"); !w)
        return fail("write: " + w.error().message());
    in.close();
    auto line = cat.value().stdout_lines().next();
    if (!line || line.value() != "hello")
        return fail("live: the child did not echo its input: " + (line ? line.value() : line.error().message()));
    auto done = cat.value().finish();
    if (!done || done.value().outcome.code() != 0)
        return fail("live: cat did not exit 0: " + (done ? done.value().std_err : done.error().message()));

    auto out = pk::run(pk::command(helper).arg("cat").stdin_bytes("again\n"));
    if (!out || out.value() != "again")
        return fail("run: " + (out ? "got '" + out.value() + "'" : out.error().message()));
    return 0;
}
