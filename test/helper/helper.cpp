// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// pk_helper: the child program launched by the processkit tests.
//
//   pk_helper MODE [ARGS...]
//
// The modes are listed in the table at the end of this file. An unknown mode or
// bad arguments print a message on stderr and exit with 64; a failing system call
// exits with 1. Durations are in milliseconds. All output goes straight to
// write(2), so nothing is held back in stdio buffers when the process forks, is
// killed or exits abruptly. Descendants that must run a mode of their own
// re-execute this program through /proc/self/exe, so every process of a tree is a
// real pk_helper process.

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

namespace {

constexpr int exit_failure = 1;
constexpr int exit_exec_failure = 127;
constexpr int exit_flood_mismatch = 3;
constexpr int exit_usage = 64;

constexpr std::size_t big_chunk = std::size_t{1} << 20;
constexpr std::size_t pattern_period = 251;

const char* self_argv0 = "pk_helper";

using args_t = std::span<char* const>;

// ---------------------------------------------------------------------------
// Errors and output

bool write_all(int fd, const void* data, std::size_t size) noexcept
{
    auto p = static_cast<const char*>(data);
    while (size > 0)
    {
        const ssize_t n = ::write(fd, p, size);
        if (n < 0)
        {
            if (errno == EINTR)
                continue;
            return false;
        }
        p += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

[[noreturn]] void fail(std::string_view what, int exit_code)
{
    std::string message = "pk_helper: ";
    message += what;
    message += '\n';
    write_all(STDERR_FILENO, message.data(), message.size());
    ::_exit(exit_code);
}

[[noreturn]] void usage_error(std::string_view what) { fail(what, exit_usage); }

[[noreturn]] void sys_error(std::string_view what, int exit_code = exit_failure)
{
    const int error = errno;
    std::string message(what);
    message += ": ";
    message += std::strerror(error);
    fail(message, exit_code);
}

void emit(int fd, std::string_view text)
{
    if (!write_all(fd, text.data(), text.size()))
        sys_error("write");
}

// Writes TEXT and a newline with a single write.
void emit_line(int fd, std::string_view text)
{
    std::string line(text);
    line += '\n';
    emit(fd, line);
}

void emit_pid_line(int fd, pid_t pid) { emit_line(fd, "pid " + std::to_string(pid)); }

// Collects output in user space and writes it in chunks of about 1 MiB.
class buffered_writer
{
public:
    explicit buffered_writer(int fd) : fd_(fd) { buffer_.reserve(big_chunk + 256); }

    void put(std::string_view text)
    {
        buffer_.append(text);
        if (buffer_.size() >= big_chunk)
            flush();
    }

    void put(unsigned long long number)
    {
        char digits[24];
        const auto result = std::to_chars(digits, digits + sizeof digits, number);
        put(std::string_view(digits, static_cast<std::size_t>(result.ptr - digits)));
    }

    void flush()
    {
        emit(fd_, buffer_);
        buffer_.clear();
    }

private:
    int fd_;
    std::string buffer_;
};

// Writes TOTAL bytes where byte k has the value k % 251.
void write_pattern(int fd, unsigned long long total)
{
    static const std::vector<char> pattern = [] {
        std::vector<char> bytes(big_chunk + pattern_period);
        for (std::size_t k = 0; k < bytes.size(); ++k)
            bytes[k] = static_cast<char>(k % pattern_period);
        return bytes;
    }();
    for (unsigned long long written = 0; written < total;)
    {
        const auto size = static_cast<std::size_t>(std::min<unsigned long long>(big_chunk, total - written));
        emit(fd, std::string_view(pattern.data() + written % pattern_period, size));
        written += size;
    }
}

// ---------------------------------------------------------------------------
// Input

std::size_t read_some(int fd, void* buffer, std::size_t size)
{
    for (;;)
    {
        const ssize_t n = ::read(fd, buffer, size);
        if (n >= 0)
            return static_cast<std::size_t>(n);
        if (errno != EINTR)
            sys_error("read");
    }
}

unsigned long long count_stdin()
{
    std::vector<char> buffer(big_chunk);
    unsigned long long total = 0;
    while (const std::size_t n = read_some(STDIN_FILENO, buffer.data(), buffer.size()))
        total += n;
    return total;
}

std::string read_text_file(const char* path)
{
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        sys_error(std::string("open ") + path);
    std::string text;
    char buffer[4096];
    while (const std::size_t n = read_some(fd, buffer, sizeof buffer))
        text.append(buffer, n);
    ::close(fd);
    return text;
}

// ---------------------------------------------------------------------------
// Argument parsing

long long parse_number(const char* text, const char* what, long long min, long long max)
{
    const std::string_view s(text);
    long long value = 0;
    const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (s.empty() || error != std::errc{} || end != s.data() + s.size() || value < min || value > max)
        usage_error(std::string("invalid ") + what + " '" + text + "'");
    return value;
}

long long parse_ms(const char* text) { return parse_number(text, "duration", 0, LLONG_MAX); }

unsigned long long parse_count(const char* text)
{
    return static_cast<unsigned long long>(parse_number(text, "count", 0, LLONG_MAX));
}

int parse_open_fd(const char* text)
{
    const int fd = static_cast<int>(parse_number(text, "file descriptor", 0, INT_MAX));
    if (::fcntl(fd, F_GETFD) < 0)
        usage_error(std::string("file descriptor ") + text + " is not open");
    return fd;
}

// ---------------------------------------------------------------------------
// Time and processes

// Sleeps the full duration, resuming after signal interruptions.
void sleep_ms(long long ms)
{
    timespec request{static_cast<time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1000000L};
    timespec remaining{};
    while (::nanosleep(&request, &remaining) != 0)
    {
        if (errno != EINTR)
            sys_error("nanosleep");
        request = remaining;
    }
}

pid_t fork_checked()
{
    const pid_t pid = ::fork();
    if (pid < 0)
        sys_error("fork");
    return pid;
}

// Replaces this process with pk_helper running ARGS (mode first).
[[noreturn]] void reexec(const std::vector<std::string>& args)
{
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(self_argv0));
    for (const std::string& arg : args)
        argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    ::execv("/proc/self/exe", argv.data());
    sys_error("execv /proc/self/exe", exit_exec_failure);
}

void wait_for(pid_t pid)
{
    while (::waitpid(pid, nullptr, 0) < 0)
    {
        if (errno != EINTR)
            sys_error("waitpid");
    }
}

// Lets the kernel reap children as they terminate, so a killed descendant never
// lingers as a zombie (which still looks alive to kill(pid, 0)) while this process
// sleeps. execve drops the flag, so re-executed children are unaffected. Call it
// only after the last fork whose child must not inherit it.
void auto_reap_children()
{
    struct sigaction action
    {};
    action.sa_handler = SIG_DFL;
    action.sa_flags = SA_NOCLDWAIT;
    sigemptyset(&action.sa_mask);
    if (::sigaction(SIGCHLD, &action, nullptr) != 0)
        sys_error("sigaction");
}

void set_disposition(int signal, void (*handler)(int))
{
    if (::signal(signal, handler) == SIG_ERR)
        sys_error("signal");
}

void become_session_leader()
{
    if (::setsid() < 0)
        sys_error("setsid");
}

struct pipe_ends
{
    int read_end;
    int write_end;
};

// Both ends are close-on-exec; a child that must keep an end across exec clears it.
pipe_ends make_pipe()
{
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        sys_error("pipe2");
    return {fds[0], fds[1]};
}

// Tells the process at the other end of a sync pipe that this side is ready.
void notify_ready(int write_end)
{
    emit(write_end, "!");
    ::close(write_end);
}

void wait_until_ready(int read_end)
{
    char byte;
    if (read_some(read_end, &byte, 1) == 0)
        fail("child exited before it was ready", exit_failure);
    ::close(read_end);
}

// Copies LINES complete lines from FD to stdout.
void relay_lines(int fd, int lines)
{
    char buffer[4096];
    while (lines > 0)
    {
        const std::size_t n = read_some(fd, buffer, sizeof buffer);
        if (n == 0)
            fail("descendant exited before reporting its pid", exit_failure);
        lines -= static_cast<int>(std::count(buffer, buffer + n, '\n'));
        emit(STDOUT_FILENO, std::string_view(buffer, n));
    }
}

// ---------------------------------------------------------------------------
// Modes: exit status and plain output

int mode_exit(args_t args) { return static_cast<int>(parse_number(args[0], "exit code", INT_MIN, INT_MAX)); }

// Counts its runs in STATEFILE (one byte each, appended): exits 1 while the
// file had fewer than N bytes before this run, else 0, after SLEEP_MS.
int mode_fail_until(args_t args)
{
    const unsigned long long failures = parse_count(args[0]);
    const char* path = args[1];
    const long long sleep_before_exit = args.size() > 2 ? parse_ms(args[2]) : 0;
    const int fd = ::open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        sys_error(std::string("open ") + path);
    const off_t before = ::lseek(fd, 0, SEEK_END);
    if (before < 0)
        sys_error(std::string("lseek ") + path);
    emit(fd, "x");
    if (::close(fd) != 0)
        sys_error(std::string("close ") + path);
    sleep_ms(sleep_before_exit);
    return static_cast<unsigned long long>(before) < failures ? exit_failure : 0;
}

int mode_args(args_t args)
{
    buffered_writer out(STDOUT_FILENO);
    for (const char* arg : args)
    {
        out.put(arg);
        out.put("\n");
    }
    out.flush();
    return 0;
}

int mode_argv0(args_t)
{
    emit_line(STDOUT_FILENO, self_argv0);
    return 0;
}

int mode_env(args_t args)
{
    buffered_writer out(STDOUT_FILENO);
    for (const char* name : args)
    {
        out.put(name);
        if (const char* value = std::getenv(name))
        {
            out.put("=");
            out.put(value);
        }
        else
        {
            out.put(" unset");
        }
        out.put("\n");
    }
    out.flush();
    return 0;
}

int mode_env_all(args_t)
{
    buffered_writer out(STDOUT_FILENO);
    for (char** entry = environ; *entry != nullptr; ++entry)
    {
        out.put(*entry);
        out.put("\n");
    }
    out.flush();
    return 0;
}

int mode_cwd(args_t)
{
    char* cwd = ::getcwd(nullptr, 0);
    if (cwd == nullptr)
        sys_error("getcwd");
    const std::string text(cwd);
    std::free(cwd);
    emit_line(STDOUT_FILENO, text);
    return 0;
}

int print_lines(int fd, args_t args)
{
    const unsigned long long count = parse_count(args[0]);
    const char* prefix = args.size() > 1 ? args[1] : "line";
    buffered_writer out(fd);
    for (unsigned long long i = 0; i < count; ++i)
    {
        out.put(prefix);
        out.put(i);
        out.put("\n");
    }
    out.flush();
    return 0;
}

int mode_lines(args_t args) { return print_lines(STDOUT_FILENO, args); }

int mode_err_lines(args_t args) { return print_lines(STDERR_FILENO, args); }

int mode_mixed(args_t args)
{
    const unsigned long long count = parse_count(args[0]);
    for (unsigned long long i = 0; i < count; ++i)
    {
        emit_line(STDOUT_FILENO, "out" + std::to_string(i));
        emit_line(STDERR_FILENO, "err" + std::to_string(i));
    }
    return 0;
}

int mode_bytes(args_t args)
{
    const unsigned long long count = parse_count(args[0]);
    const std::string_view stream = args.size() > 1 ? args[1] : "out";
    if (stream != "out" && stream != "err")
        usage_error("bytes: stream must be 'out' or 'err'");
    write_pattern(stream == "out" ? STDOUT_FILENO : STDERR_FILENO, count);
    return 0;
}

int mode_cr_lines(args_t args)
{
    const unsigned long long count = parse_count(args[0]);
    for (unsigned long long i = 0; i < count; ++i)
        emit(STDOUT_FILENO, "progress " + std::to_string(i) + "\r");
    emit(STDOUT_FILENO, "done\n");
    return 0;
}

int mode_bad_utf8(args_t)
{
    emit(STDOUT_FILENO, "ok \xff\xfe bad\n"
                        "caf\xc3\xa9\n"
                        "latin1 caf\xe9\n");
    return 0;
}

int mode_stderr_exit(args_t args)
{
    const int code = static_cast<int>(parse_number(args[0], "exit code", INT_MIN, INT_MAX));
    emit_line(STDERR_FILENO, args[1]);
    return code;
}

// ---------------------------------------------------------------------------
// Modes: input

int mode_flood(args_t args)
{
    const unsigned long long out_bytes = parse_count(args[0]);
    const unsigned long long err_bytes = parse_count(args[1]);
    const unsigned long long expected_in = parse_count(args[2]);
    std::thread out_writer(write_pattern, STDOUT_FILENO, out_bytes);
    std::thread err_writer(write_pattern, STDERR_FILENO, err_bytes);
    const unsigned long long got = count_stdin();
    out_writer.join();
    err_writer.join();
    if (got != expected_in)
    {
        emit_line(STDERR_FILENO, "stdin got " + std::to_string(got));
        return exit_flood_mismatch;
    }
    return 0;
}

int mode_cat(args_t)
{
    std::vector<char> buffer(64 * 1024);
    while (const std::size_t n = read_some(STDIN_FILENO, buffer.data(), buffer.size()))
        emit(STDOUT_FILENO, std::string_view(buffer.data(), n));
    return 0;
}

// Reads stdin to EOF and checks it is write_pattern's output: "ok N", or
// "mismatch at OFFSET" (exit 1).
int mode_check_pattern(args_t)
{
    std::vector<char> buffer(big_chunk);
    unsigned long long offset = 0;
    while (const std::size_t n = read_some(STDIN_FILENO, buffer.data(), buffer.size()))
    {
        for (std::size_t k = 0; k < n; ++k)
            if (buffer[k] != static_cast<char>((offset + k) % pattern_period))
            {
                emit_line(STDOUT_FILENO, "mismatch at " + std::to_string(offset + k));
                return 1;
            }
        offset += n;
    }
    emit_line(STDOUT_FILENO, "ok " + std::to_string(offset));
    return 0;
}

int mode_count_stdin(args_t)
{
    emit_line(STDOUT_FILENO, std::to_string(count_stdin()));
    return 0;
}

int mode_read_line_echo(args_t args)
{
    emit(STDOUT_FILENO, args[0]);
    // One byte at a time, so nothing after the line is consumed.
    std::string line;
    char byte;
    bool eof = false;
    for (;;)
    {
        if (read_some(STDIN_FILENO, &byte, 1) == 0)
        {
            eof = true;
            break;
        }
        if (byte == '\n')
            break;
        line += byte;
    }
    emit(STDOUT_FILENO, eof && line.empty() ? std::string("got-eof\n") : "got:" + line + "\n");
    return 0;
}

// ---------------------------------------------------------------------------
// Modes: timing and signals

int mode_sleep(args_t args)
{
    sleep_ms(parse_ms(args[0]));
    return 0;
}

int mode_print_sleep(args_t args)
{
    const long long ms = parse_ms(args[1]);
    emit_line(STDOUT_FILENO, args[0]);
    sleep_ms(ms);
    return 0;
}

int mode_idle_then_print(args_t args)
{
    sleep_ms(parse_ms(args[0]));
    emit_line(STDOUT_FILENO, args[1]);
    return 0;
}

int mode_slow_lines(args_t args)
{
    const unsigned long long count = parse_count(args[0]);
    const long long interval = parse_ms(args[1]);
    for (unsigned long long i = 0; i < count; ++i)
    {
        if (i > 0)
            sleep_ms(interval);
        emit_line(STDOUT_FILENO, "line" + std::to_string(i));
    }
    return 0;
}

// Writes text in fragments, PAUSE_MS apart, so that the reader gets them in
// separate reads: UTF-8 sequences, "\r\n" pairs and lines cut across reads,
// an invalid byte, and a last line ending in a cut-short sequence.
int mode_fragments(args_t args)
{
    const long long pause = parse_ms(args[0]);
    constexpr std::string_view fragments[] = {
        "caf\xc3", "\xa9 ok\r", "\nnext\r", "\n\xe2\x82",         "\xac euro\n",
        "a\rb\n",  "bad \xff",  " end\n",   "more caf\xc3\xa9\n", "tail\xe2\x82",
    };
    bool first = true;
    for (std::string_view f : fragments)
    {
        if (!first)
            sleep_ms(pause);
        first = false;
        emit(STDOUT_FILENO, f);
    }
    return 0;
}

// One line of LEN 'x', then N lines "line<i>".
int mode_long_then_short(args_t args)
{
    const unsigned long long len = parse_count(args[0]);
    const unsigned long long count = parse_count(args[1]);
    buffered_writer out(STDOUT_FILENO);
    out.put(std::string(len, 'x'));
    out.put("\n");
    for (unsigned long long i = 0; i < count; ++i)
    {
        out.put("line");
        out.put(i);
        out.put("\n");
    }
    out.flush();
    return 0;
}

// N lines "line<i>" ended by "\r\n".
int mode_crlf_lines(args_t args)
{
    const unsigned long long count = parse_count(args[0]);
    buffered_writer out(STDOUT_FILENO);
    for (unsigned long long i = 0; i < count; ++i)
    {
        out.put("line");
        out.put(i);
        out.put("\r\n");
    }
    out.flush();
    return 0;
}

// COUNT lines of LEN bytes each, line i made of the letter 'a' + i % 26.
int mode_long_lines(args_t args)
{
    const unsigned long long len = parse_count(args[0]);
    const unsigned long long count = parse_count(args[1]);
    buffered_writer out(STDOUT_FILENO);
    for (unsigned long long i = 0; i < count; ++i)
    {
        const std::string line(len, static_cast<char>('a' + i % 26));
        out.put(line);
        out.put("\n");
    }
    out.flush();
    return 0;
}

int mode_ignore_term(args_t args)
{
    const long long ms = parse_ms(args[0]);
    set_disposition(SIGTERM, SIG_IGN);
    emit(STDOUT_FILENO, "ready\n");
    sleep_ms(ms);
    return 0;
}

int mode_kill_self(args_t args)
{
    const int signal = static_cast<int>(parse_number(args[0], "signal", 1, NSIG - 1));
    ::signal(signal, SIG_DFL); // fails harmlessly for SIGKILL and SIGSTOP
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signal);
    ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
    ::raise(signal);
    // Still here: the signal's default action is to ignore, or to stop and we were continued.
    return 0;
}

// ---------------------------------------------------------------------------
// Modes: process trees

// tree DEPTH MS [REPORT_FD]: REPORT_FD (default stdout) receives the pid lines; it is
// used by tree-mixed to collect the lines of the whole tree.
int mode_tree(args_t args)
{
    const long long depth = parse_number(args[0], "depth", 0, 1000);
    const long long ms = parse_ms(args[1]);
    const int report = args.size() > 2 ? parse_open_fd(args[2]) : STDOUT_FILENO;
    emit_pid_line(report, ::getpid());
    if (depth > 0)
    {
        if (fork_checked() == 0)
        {
            std::vector<std::string> child_args{"tree", std::to_string(depth - 1), args[1]};
            if (args.size() > 2)
                child_args.emplace_back(args[2]);
            reexec(child_args);
        }
        auto_reap_children();
    }
    if (report != STDOUT_FILENO)
        ::close(report);
    sleep_ms(ms);
    return 0;
}

// Child A of tree-mixed: ignores SIGTERM, spawns the daemon C (through B, which exits
// at once) and the plain subtree D = `tree 1 MS`. Every pid line goes to REPORT.
[[noreturn]] void run_tree_mixed_child(int report, const char* ms_text, long long ms, bool daemon_setsid)
{
    set_disposition(SIGTERM, SIG_IGN);
    emit_pid_line(report, ::getpid());

    const pid_t b = fork_checked();
    if (b == 0)
    {
        set_disposition(SIGTERM, SIG_DFL);
        if (fork_checked() == 0)
        {
            if (daemon_setsid)
                become_session_leader();
            emit_pid_line(report, ::getpid());
            ::close(report);
            sleep_ms(ms);
            ::_exit(0);
        }
        ::_exit(0);
    }
    wait_for(b);

    if (fork_checked() == 0)
    {
        set_disposition(SIGTERM, SIG_DFL);
        if (::fcntl(report, F_SETFD, 0) != 0)
            sys_error("fcntl");
        reexec({"tree", "1", ms_text, std::to_string(report)});
    }
    auto_reap_children();
    ::close(report);
    sleep_ms(ms);
    ::_exit(0);
}

int mode_tree_mixed(args_t args)
{
    const long long ms = parse_ms(args[0]);
    bool daemon_setsid = true;
    if (args.size() > 1)
    {
        if (std::string_view(args[1]) != "keep-session")
            usage_error("usage: pk_helper tree-mixed MS [keep-session]");
        daemon_setsid = false;
    }
    constexpr int descendant_pid_lines = 4; // A, C, D and D's child
    emit_pid_line(STDOUT_FILENO, ::getpid());
    const auto [report_read, report_write] = make_pipe();
    if (fork_checked() == 0)
    {
        ::close(report_read);
        run_tree_mixed_child(report_write, args[0], ms, daemon_setsid);
    }
    auto_reap_children();
    ::close(report_write);
    relay_lines(report_read, descendant_pid_lines);
    ::close(report_read);
    emit(STDOUT_FILENO, "ready\n");
    sleep_ms(ms);
    return 0;
}

int mode_daemon(args_t args)
{
    const long long ms = parse_ms(args[0]);
    const auto [ready_read, ready_write] = make_pipe();
    const pid_t middle = fork_checked();
    if (middle == 0)
    {
        ::close(ready_read);
        become_session_leader();
        if (fork_checked() == 0)
        {
            emit_pid_line(STDOUT_FILENO, ::getpid());
            notify_ready(ready_write);
            sleep_ms(ms);
            ::_exit(0);
        }
        ::_exit(0);
    }
    ::close(ready_write);
    wait_for(middle);
    wait_until_ready(ready_read);
    emit(STDOUT_FILENO, "ready\n");
    sleep_ms(ms);
    return 0;
}

// Forks a child that leaves the session (setsid), prints "pid N" and sleeps
// `ms`; returns its pid once it is ready.
pid_t fork_escapee(long long ms)
{
    const auto [ready_read, ready_write] = make_pipe();
    const pid_t child = fork_checked();
    if (child == 0)
    {
        ::close(ready_read);
        become_session_leader();
        emit_pid_line(STDOUT_FILENO, ::getpid());
        notify_ready(ready_write);
        sleep_ms(ms);
        ::_exit(0);
    }
    ::close(ready_write);
    wait_until_ready(ready_read);
    return child;
}

int mode_setsid_child(args_t args)
{
    const long long ms = parse_ms(args[0]);
    fork_escapee(ms);
    auto_reap_children();
    emit(STDOUT_FILENO, "ready\n");
    sleep_ms(ms);
    return 0;
}

// Like setsid-child, but the parent waits for the escapee and exits 0 when
// it ends, as `sh -c 'setsid prog & wait'` does: whoever kills the escapee
// before the parent sees the parent exit 0 on its own.
int mode_setsid_wait(args_t args)
{
    const pid_t child = fork_escapee(parse_ms(args[0]));
    emit(STDOUT_FILENO, "ready\n");
    wait_for(child);
    return 0;
}

int mode_spawn_sleeper(args_t args)
{
    const long long ms = parse_ms(args[0]);
    const pid_t child = fork_checked();
    if (child == 0)
        reexec({"sleep", args[0]});
    auto_reap_children();
    emit_pid_line(STDOUT_FILENO, child);
    sleep_ms(ms);
    return 0;
}

int mode_orphan_holder(args_t args)
{
    parse_ms(args[0]);
    const pid_t child = fork_checked();
    if (child == 0)
        reexec({"sleep", args[0]});
    emit_pid_line(STDOUT_FILENO, child);
    return 0;
}

// ---------------------------------------------------------------------------
// Modes: process state

int mode_fds(args_t)
{
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr)
        sys_error("opendir /proc/self/fd");
    const int own_fd = ::dirfd(dir);
    std::vector<int> fds;
    while (const dirent* entry = ::readdir(dir))
    {
        const std::string_view name(entry->d_name);
        int fd = 0;
        const auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), fd);
        if (error == std::errc{} && end == name.data() + name.size() && fd != own_fd)
            fds.push_back(fd);
    }
    ::closedir(dir);
    std::sort(fds.begin(), fds.end());
    buffered_writer out(STDOUT_FILENO);
    for (const int fd : fds)
    {
        out.put(static_cast<unsigned long long>(fd));
        out.put("\n");
    }
    out.flush();
    return 0;
}

int mode_cgroup(args_t)
{
    const std::string text = read_text_file("/proc/self/cgroup");
    std::string_view rest(text);
    while (!rest.empty())
    {
        const std::size_t end = std::min(rest.find('\n'), rest.size());
        const std::string_view line = rest.substr(0, end);
        if (line.starts_with("0::"))
        {
            emit_line(STDOUT_FILENO, line.substr(3));
            return 0;
        }
        rest.remove_prefix(std::min(end + 1, rest.size()));
    }
    fail("no cgroup v2 entry in /proc/self/cgroup", exit_failure);
}

int mode_ids(args_t)
{
    emit(STDOUT_FILENO, "pid " + std::to_string(::getpid()) + "\nppid " + std::to_string(::getppid()) + "\npgid " +
                            std::to_string(::getpgrp()) + "\nsid " + std::to_string(::getsid(0)) + "\nuid " +
                            std::to_string(::getuid()) + "\ngid " + std::to_string(::getgid()) + "\n");
    return 0;
}

int mode_sigmask(args_t)
{
    const std::string text = read_text_file("/proc/self/status");
    std::string selected;
    std::string_view rest(text);
    while (!rest.empty())
    {
        const std::size_t end = std::min(rest.find('\n'), rest.size());
        const std::string_view line = rest.substr(0, end);
        if (line.starts_with("SigBlk:") || line.starts_with("SigIgn:"))
        {
            selected += line;
            selected += '\n';
        }
        rest.remove_prefix(std::min(end + 1, rest.size()));
    }
    emit(STDOUT_FILENO, selected);
    return 0;
}

// ---------------------------------------------------------------------------
// Modes: environment interaction

int mode_listen(args_t args)
{
    const auto port = static_cast<std::uint16_t>(parse_number(args[0], "port", 0, 65535));
    const long long delay = args.size() > 1 ? parse_ms(args[1]) : 0;
    sleep_ms(delay);

    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0)
        sys_error("socket");
    const int one = 1;
    if (::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
        sys_error("setsockopt");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
        sys_error("bind");
    if (::listen(listener, SOMAXCONN) != 0)
        sys_error("listen");
    socklen_t length = sizeof address;
    if (::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0)
        sys_error("getsockname");
    emit_line(STDOUT_FILENO, "port " + std::to_string(ntohs(address.sin_port)));

    for (;;)
    {
        const int connection = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (connection >= 0)
            ::close(connection);
        else if (errno != EINTR && errno != ECONNABORTED)
            sys_error("accept");
    }
}

// The file is written under a temporary name and renamed, so it appears atomically
// with its full content.
int mode_make_file(args_t args)
{
    const std::string path = args[0];
    const long long delay = parse_ms(args[1]);
    const long long sleep_after = args.size() > 2 ? parse_ms(args[2]) : 0;
    sleep_ms(delay);

    const std::string temporary = path + ".pk_helper.tmp";
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        sys_error("open " + temporary);
    emit(fd, "ok");
    if (::close(fd) != 0)
        sys_error("close " + temporary);
    if (::rename(temporary.c_str(), path.c_str()) != 0)
        sys_error("rename to " + path);

    sleep_ms(sleep_after);
    return 0;
}

// ---------------------------------------------------------------------------
// Mode table and entry point

constexpr std::size_t unlimited = SIZE_MAX;

struct mode
{
    std::string_view name;
    std::string_view synopsis;
    std::size_t min_args;
    std::size_t max_args;
    int (*run)(args_t);
};

constexpr mode modes[] = {
    {"exit", "CODE", 1, 1, mode_exit},
    {"fail-until", "N STATEFILE [SLEEP_MS]", 2, 3, mode_fail_until},
    {"args", "[ARG...]", 0, unlimited, mode_args},
    {"argv0", "", 0, 0, mode_argv0},
    {"env", "[NAME...]", 0, unlimited, mode_env},
    {"env-all", "", 0, 0, mode_env_all},
    {"cwd", "", 0, 0, mode_cwd},
    {"lines", "N [PREFIX]", 1, 2, mode_lines},
    {"err-lines", "N [PREFIX]", 1, 2, mode_err_lines},
    {"mixed", "N", 1, 1, mode_mixed},
    {"bytes", "N [out|err]", 1, 2, mode_bytes},
    {"flood", "OUT_BYTES ERR_BYTES IN_BYTES", 3, 3, mode_flood},
    {"cat", "", 0, 0, mode_cat},
    {"count-stdin", "", 0, 0, mode_count_stdin},
    {"check-pattern", "", 0, 0, mode_check_pattern},
    {"read-line-echo", "PROMPT", 1, 1, mode_read_line_echo},
    {"sleep", "MS", 1, 1, mode_sleep},
    {"print-sleep", "TEXT MS", 2, 2, mode_print_sleep},
    {"ignore-term", "MS", 1, 1, mode_ignore_term},
    {"tree", "DEPTH MS [REPORT_FD]", 2, 3, mode_tree},
    {"tree-mixed", "MS [keep-session]", 1, 2, mode_tree_mixed},
    {"daemon", "MS", 1, 1, mode_daemon},
    {"setsid-child", "MS", 1, 1, mode_setsid_child},
    {"setsid-wait", "MS", 1, 1, mode_setsid_wait},
    {"spawn-sleeper", "MS", 1, 1, mode_spawn_sleeper},
    {"orphan-holder", "MS", 1, 1, mode_orphan_holder},
    {"fds", "", 0, 0, mode_fds},
    {"cgroup", "", 0, 0, mode_cgroup},
    {"ids", "", 0, 0, mode_ids},
    {"sigmask", "", 0, 0, mode_sigmask},
    {"listen", "PORT [DELAY_MS]", 1, 2, mode_listen},
    {"make-file", "PATH DELAY_MS [SLEEP_MS]", 2, 3, mode_make_file},
    {"stderr-exit", "CODE TEXT", 2, 2, mode_stderr_exit},
    {"cr-lines", "N", 1, 1, mode_cr_lines},
    {"bad-utf8", "", 0, 0, mode_bad_utf8},
    {"kill-self", "SIG", 1, 1, mode_kill_self},
    {"idle-then-print", "IDLE_MS TEXT", 2, 2, mode_idle_then_print},
    {"slow-lines", "N INTERVAL_MS", 2, 2, mode_slow_lines},
    {"fragments", "PAUSE_MS", 1, 1, mode_fragments},
    {"long-lines", "LEN COUNT", 2, 2, mode_long_lines},
    {"crlf-lines", "N", 1, 1, mode_crlf_lines},
    {"long-then-short", "LEN N", 2, 2, mode_long_then_short},
};

[[noreturn]] void usage_of(const mode& m)
{
    std::string text = "usage: pk_helper ";
    text += m.name;
    if (!m.synopsis.empty())
    {
        text += ' ';
        text += m.synopsis;
    }
    usage_error(text);
}

} // namespace

int main(int argc, char** argv)
{
    if (argc > 0 && argv[0] != nullptr)
        self_argv0 = argv[0];
    if (argc < 2)
        usage_error("usage: pk_helper MODE [ARGS...]");
    const std::string_view name = argv[1];
    const args_t args(argv + 2, static_cast<std::size_t>(argc - 2));
    for (const mode& m : modes)
    {
        if (m.name != name)
            continue;
        if (args.size() < m.min_args || args.size() > m.max_args)
            usage_of(m);
        return m.run(args);
    }
    usage_error("unknown mode '" + std::string(name) + "'");
}
