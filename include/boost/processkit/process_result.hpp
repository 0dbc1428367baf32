// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_PROCESS_RESULT_HPP
#define BOOST_PROCESSKIT_PROCESS_RESULT_HPP

#include <boost/processkit/config.hpp>
#include <boost/processkit/error.hpp>

#include <chrono>
#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace boost {
namespace processkit {

/// How a run ended.
class run_outcome
{
public:
    enum class kind
    {
        exited,    ///< the child exited; `code()` holds its exit code
        signalled, ///< the child was killed by a signal; `signal()` holds it
        timed_out, ///< the run hit its timeout and its tree was killed
    };
    static run_outcome exited(int code) { return run_outcome(kind::exited, code); }
    static run_outcome signalled(int sig) { return run_outcome(kind::signalled, sig); }
    static run_outcome timed_out() { return run_outcome(kind::timed_out, 0); }

    kind type() const noexcept { return kind_; }
    std::optional<int> code() const noexcept
    {
        return kind_ == kind::exited ? std::optional<int>(value_) : std::nullopt;
    }
    std::optional<int> signal() const noexcept
    {
        return kind_ == kind::signalled ? std::optional<int>(value_) : std::nullopt;
    }
    friend bool operator==(const run_outcome&, const run_outcome&) = default;

private:
    run_outcome(kind k, int v) : kind_(k), value_(v) {}
    kind kind_;
    int value_;
};

/// "exited with code 3", "killed by signal 9", "timed out".
BOOST_PROCESSKIT_DECL std::ostream& operator<<(std::ostream& os, const run_outcome& o);

/// How one stage of a pipeline ended (see `pipeline`).
struct stage_result
{
    std::string program;                          ///< the stage's program as given
    run_outcome outcome = run_outcome::exited(0); ///< how it ended (timed_out when the whole chain timed out)
    bool accepted = true;                         ///< it exited with one of its ok_codes
    bool checked = true;                          ///< false: `unchecked_in_pipe()`, its failure fails nothing
    /// It was still running when a stage after it ended, and was killed for
    /// that (as a shell's SIGPIPE would end it).
    bool torn_down = false;
    std::string std_err; ///< its captured stderr (when piped; merged stderr is in the next stage's input)
    bool std_err_truncated = false;

    /// Exited with an accepted code.
    bool success() const noexcept { return outcome.type() == run_outcome::kind::exited && accepted; }
};

/// The captured result of a run. A non-zero exit is not an error here: call
/// `ensure_success()` (or use the `run`/`checked` verbs) to make it one.
struct process_result
{
    run_outcome outcome = run_outcome::exited(0);
    std::string std_out;            ///< captured stdout (raw bytes, or UTF-8 text for output_string)
    std::string std_err;            ///< captured stderr
    bool std_out_truncated = false; ///< output exceeded its bounds (see output_buffer_policy)
    bool std_err_truncated = false;
    bool accepted = true; ///< the exit code is one of the command's ok_codes
    std::chrono::nanoseconds duration{};
    /// How many attempts ran (more than 1 only with a retry policy).
    std::size_t attempts = 1;
    /// A pipeline's stages, in order (empty for a single command). The
    /// fields above then describe the chain: `std_out` is the last stage's,
    /// `outcome`, `accepted` and `std_err` those of the rightmost checked
    /// stage that failed (pipefail), else of the last stage.
    std::vector<stage_result> stages;
    /// The index in `stages` of the stage `outcome` reports, when one failed.
    std::optional<std::size_t> failed_stage;
    /// Program, status, stderr tail, elapsed, timeout: everything an error
    /// about this run should say.
    processkit::diagnostics diagnostics;

    /// The exit code; nullopt when killed by a signal or timed out (never -1).
    std::optional<int> code() const noexcept { return outcome.code(); }
    std::optional<int> signal() const noexcept { return outcome.signal(); }
    bool timed_out() const noexcept { return outcome.type() == run_outcome::kind::timed_out; }
    /// Exited with an accepted code.
    bool success() const noexcept { return outcome.type() == run_outcome::kind::exited && accepted; }

    /// Success, or the error a `checked` run would report (nonzero_exit,
    /// signalled or timed_out, with diagnostics).
    BOOST_PROCESSKIT_DECL result<void> ensure_success() const;
};

} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_PROCESS_RESULT_HPP
