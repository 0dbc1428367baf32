// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_SRC_BACKEND_PIPES_HPP
#define BOOST_PROCESSKIT_SRC_BACKEND_PIPES_HPP

// The I/O objects the ops (src/ops) drive: the parent's end of a pipe the
// child writes, the end of the pipe it reads, and the wait for a direct
// child's exit. They are chosen at compile time (no virtual call on the
// byte path): one definition per platform, here the POSIX one. Each keeps
// the reading readiness-first: wait until readable, then read until the pipe
// is empty, so a silent stream costs no buffer and one wakeup drains many
// reads.

#include <boost/processkit/config.hpp>
#include <boost/processkit/error.hpp>

#include "child_record.hpp"
#include "../posix/unique_fd.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <cstddef>
#include <memory>
#include <utility>

namespace boost {
namespace processkit {
namespace detail {

/// What one read_some() call found.
enum class read_status
{
    data,        ///< `n` bytes were read
    would_block, ///< the pipe is empty for now: wait, then read again
    eof,         ///< the writer closed its end (or the read failed, which ends the stream alike)
};

/// write(2) that never raises SIGPIPE in this process (EPIPE is returned).
ssize_t write_no_sigpipe(int fd, const char* data, std::size_t len) noexcept;

/// Whether something still holds the write end of the pipe whose read end
/// is `read_end` (a pipeline stage's stdin, which the parent keeps but
/// never reads): false once every writer has closed it.
bool pipe_has_writer(int read_end) noexcept;

/// When a pipeline stage ends: does the stage before still write into it?
/// Asked once, then the kept read end (none for the first stage) is closed,
/// so a writer left gets EPIPE from now on.
inline bool previous_stage_writing(unique_fd& kept_read_end) noexcept
{
    const bool writing = kept_read_end && pipe_has_writer(kept_read_end.fd);
    kept_read_end.reset();
    return writing;
}

/// What both ends of a pipe have: a non-blocking descriptor on the
/// executor, waited for before each batch of reads or writes.
template <asio::posix::descriptor_base::wait_type Ready>
class pipe_end
{
public:
    explicit pipe_end(const asio::any_io_executor& ex) : d_(ex) {}
    pipe_end(const asio::any_io_executor& ex, unique_fd fd) : d_(ex, fd.release()) {}

    void assign(unique_fd fd) { d_.assign(fd.release()); }
    bool is_open() const noexcept { return d_.is_open(); }
    void close() noexcept
    {
        error_code ignored;
        d_.close(ignored);
    }

    /// Completes `h(error_code)` once the pipe is ready (readable or ended;
    /// writable or closed by the child).
    template <class Handler>
    void async_wait(Handler&& h)
    {
        d_.async_wait(Ready, std::forward<Handler>(h));
    }

protected:
    asio::posix::stream_descriptor d_;
};

/// The parent's (non-blocking) read end of a child's stdout or stderr.
class pipe_reader : public pipe_end<asio::posix::descriptor_base::wait_read>
{
public:
    using pipe_end::pipe_end;

    /// One read of at most `n` bytes into `p`.
    read_status read_some(char* p, std::size_t n, std::size_t& got) noexcept
    {
        ssize_t r;
        do
            r = ::read(d_.native_handle(), p, n);
        while (r < 0 && errno == EINTR);
        got = r > 0 ? static_cast<std::size_t>(r) : 0;
        if (r > 0)
            return read_status::data;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return read_status::would_block;
        return read_status::eof;
    }

    /// A bigger kernel buffer, where the platform has one to grow (Linux
    /// F_SETPIPE_SZ). Best effort: the per-user pipe budget may refuse it.
    void grow_buffer(std::size_t bytes) noexcept;
};

/// What one write_some() call did.
enum class write_status
{
    wrote,       ///< `n` bytes were written
    would_block, ///< the pipe is full: wait until writable
    closed,      ///< the child closed its end (EPIPE) or the write failed
};

/// The parent's (non-blocking) write end of a child's stdin.
class pipe_writer : public pipe_end<asio::posix::descriptor_base::wait_write>
{
public:
    using pipe_end::pipe_end;

    write_status write_some(const char* p, std::size_t n, std::size_t& wrote) noexcept
    {
        ssize_t r;
        do
            r = write_no_sigpipe(d_.native_handle(), p, n);
        while (r < 0 && errno == EINTR);
        wrote = r > 0 ? static_cast<std::size_t>(r) : 0;
        if (r >= 0)
            return write_status::wrote;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return write_status::would_block;
        return write_status::closed;
    }
};

/// Waits for a direct child to exit and reaps it. Watches the record's
/// descriptor (a pidfd, readable once the child is a zombie; a scripted
/// child's end of a pipe), which the record keeps owning.
class exit_watch
{
public:
    explicit exit_watch(const asio::any_io_executor& ex) : d_(ex) {}
    exit_watch(const exit_watch&) = delete;
    exit_watch& operator=(const exit_watch&) = delete;
    ~exit_watch() { stop(); }

    void watch(std::shared_ptr<child_record> child)
    {
        child_ = std::move(child);
        d_.assign(child_->pidfd);
    }

    /// Completes `h(exit_status)` once the child is reaped. After stop() the
    /// pending wait ends without calling `h`.
    template <class Handler>
    void async_wait(Handler h)
    {
        d_.async_wait(asio::posix::descriptor_base::wait_read, [this, h = std::move(h)](error_code ec) mutable {
            if (ec == asio::error::operation_aborted && !d_.is_open())
                return; // stopped
            if (auto st = child_->try_reap())
                return std::move(h)(*st);
            async_wait(std::move(h));
        });
    }

    /// Stops watching (the descriptor stays the record's).
    void stop() noexcept
    {
        if (d_.is_open())
            d_.release();
    }

private:
    asio::posix::stream_descriptor d_;
    std::shared_ptr<child_record> child_;
};

} // namespace detail
} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_SRC_BACKEND_PIPES_HPP
