// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

#ifndef BOOST_PROCESSKIT_PROCESS_RUNNER_HPP
#define BOOST_PROCESSKIT_PROCESS_RUNNER_HPP

#include <boost/processkit/command.hpp>
#include <boost/processkit/config.hpp>
#include <boost/processkit/error.hpp>
#include <boost/processkit/pipeline.hpp>
#include <boost/processkit/process_group.hpp>
#include <boost/processkit/process_result.hpp>
#include <boost/processkit/running_process.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>

#include <string>

namespace boost {
namespace processkit {

class process_runner;

namespace detail {

template <class Signature>
using handler_t = asio::any_completion_handler<Signature>;

// One function per verb, compiled once in src/: the async verbs below only
// type-erase the handler and call these.
#define BOOST_PROCESSKIT_DECLARE_VERB(name, Signature)                                                                 \
  BOOST_PROCESSKIT_DECL void initiate_##name(process_runner& runner, asio::any_io_executor ex, command cmd,            \
                                             diagnostics* diag, handler_t<Signature> handler);                         \
  BOOST_PROCESSKIT_DECL void initiate_##name(process_runner& runner, asio::any_io_executor ex, pipeline p,             \
                                             diagnostics* diag, handler_t<Signature> handler);
BOOST_PROCESSKIT_DECLARE_VERB(run, void(error_code, std::string))
BOOST_PROCESSKIT_DECLARE_VERB(run_unit, void(error_code))
BOOST_PROCESSKIT_DECLARE_VERB(checked, void(error_code, process_result))
BOOST_PROCESSKIT_DECLARE_VERB(output_string, void(error_code, process_result))
BOOST_PROCESSKIT_DECLARE_VERB(output_bytes, void(error_code, process_result))
BOOST_PROCESSKIT_DECLARE_VERB(exit_code, void(error_code, int))
BOOST_PROCESSKIT_DECLARE_VERB(probe, void(error_code, bool))
BOOST_PROCESSKIT_DECLARE_VERB(first_line, void(error_code, std::string))
#undef BOOST_PROCESSKIT_DECLARE_VERB

// `Target`: a command or a pipeline.
template <class Signature, class Target, class Token>
auto async_verb(void (*initiate)(process_runner&, asio::any_io_executor, Target, diagnostics*, handler_t<Signature>),
                process_runner& runner, asio::any_io_executor ex, Target target, diagnostics* diag, Token&& token)
{
    return asio::async_initiate<Token, Signature>(
        [initiate](auto handler, process_runner* r, asio::any_io_executor e, Target t, diagnostics* d) {
            initiate(*r, std::move(e), std::move(t), d, handler_t<Signature>(std::move(handler)));
        },
        token, &runner, std::move(ex), std::move(target), diag);
}

} // namespace detail

/// Runs commands: the seam every verb goes through, and the place to put a
/// test double (see the mock runners). Implementations provide one
/// primitive, `async_capture`; the verb vocabulary is layered on top of it
/// and means the same on every runner:
///
/// | verb | completes with | an error when |
/// |---|---|---|
/// | `run` | stdout, trailing whitespace trimmed | the exit is not accepted, a signal, a timeout |
/// | `run_unit` | nothing | likewise |
/// | `checked` | the full `process_result` | likewise |
/// | `output_string` | the full result, stdout/stderr as UTF-8 text | never for an exit; a timeout is recorded in the result |
/// | `output_bytes` | the full result, raw bytes | likewise |
/// | `exit_code` | the exit code | there is none (signal, timeout) |
/// | `probe` | exit 0 → true, 1 → false | any other exit |
/// | `first_line` | the first stdout line | the exit is not accepted, or no line |
///
/// Every verb also fails when the run cannot start (bad input, program not
/// found, ...) or is cancelled (`errc::cancelled`).
///
/// Async forms take any Asio completion token, `asio::deferred` when none is
/// given (so `co_await runner.async_run(ex, cmd)` works); the completion
/// signature is `void(error_code, T)`. Overloads taking `diagnostics&` fill it on failure.
/// Synchronous forms return `result<T>`, whose error carries the diagnostics.
///
/// Cancellation (per-operation, through the token's slot), graded: terminal
/// kills the run's whole tree now; partial sends the command's timeout
/// signal, then kills after its grace (at once without one); total is
/// honoured only before the child is spawned (nothing to undo) and refused
/// after, as it would have a side effect. A cancelled run completes with
/// `errc::cancelled`. A stop of the command's `cancel_on` token is terminal.
///
/// Thread safety: a runner may be used from many threads at once.
class BOOST_PROCESSKIT_DECL process_runner
{
public:
    virtual ~process_runner();

    /// The primitive: run `cmd` to completion, capturing stdout/stderr per
    /// its stdio configuration. Completes with an error only when the run
    /// could not happen or was cancelled; otherwise with the result (a
    /// non-zero exit or a timeout is recorded there). The result's
    /// diagnostics are filled in either case.
    virtual void async_capture(asio::any_io_executor ex, command cmd,
                               asio::any_completion_handler<void(error_code, process_result)> handler) = 0;

    /// The second primitive: start `cmd` and return a live handle, served by
    /// `ex` (see `running_process`).
    virtual result<running_process> start(asio::any_io_executor ex, command cmd) = 0;

    /// The pipeline primitive: `async_capture` for a whole chain (see
    /// `pipeline`), the verbs on a pipeline go through it. The default
    /// completes with errc::unsupported ("this runner does not run
    /// pipelines"); the spawning runners override it.
    virtual void async_capture_pipeline(asio::any_io_executor ex, pipeline p,
                                        asio::any_completion_handler<void(error_code, process_result)> handler);
    /// `start` for a pipeline (see `start(ex, pipeline)`); the default
    /// fails with errc::unsupported.
    virtual result<running_process> start_pipeline(asio::any_io_executor ex, pipeline p);

#define BOOST_PROCESSKIT_RUNNER_VERB_FOR(name, Signature, T, Target)                                                   \
  template <class Token = asio::deferred_t>                                                                            \
  auto async_##name(asio::any_io_executor ex, Target target, Token&& token = Token())                                  \
  {                                                                                                                    \
    return detail::async_verb<Signature, Target>(&detail::initiate_##name, *this, std::move(ex), std::move(target),    \
                                                 nullptr, std::forward<Token>(token));                                 \
  }                                                                                                                    \
  template <class Token = asio::deferred_t>                                                                            \
  auto async_##name(asio::any_io_executor ex, Target target, diagnostics& diag, Token&& token = Token())               \
  {                                                                                                                    \
    return detail::async_verb<Signature, Target>(&detail::initiate_##name, *this, std::move(ex), std::move(target),    \
                                                 &diag, std::forward<Token>(token));                                   \
  }                                                                                                                    \
  result<T> name(Target target);
#define BOOST_PROCESSKIT_RUNNER_VERB(name, Signature, T)                                                               \
  BOOST_PROCESSKIT_RUNNER_VERB_FOR(name, Signature, T, command)                                                        \
  BOOST_PROCESSKIT_RUNNER_VERB_FOR(name, Signature, T, pipeline)

    BOOST_PROCESSKIT_RUNNER_VERB(run, void(error_code, std::string), std::string)
    BOOST_PROCESSKIT_RUNNER_VERB(run_unit, void(error_code), void)
    BOOST_PROCESSKIT_RUNNER_VERB(checked, void(error_code, process_result), process_result)
    BOOST_PROCESSKIT_RUNNER_VERB(output_string, void(error_code, process_result), process_result)
    BOOST_PROCESSKIT_RUNNER_VERB(output_bytes, void(error_code, process_result), process_result)
    BOOST_PROCESSKIT_RUNNER_VERB(exit_code, void(error_code, int), int)
    BOOST_PROCESSKIT_RUNNER_VERB(probe, void(error_code, bool), bool)
    BOOST_PROCESSKIT_RUNNER_VERB(first_line, void(error_code, std::string), std::string)
#undef BOOST_PROCESSKIT_RUNNER_VERB
#undef BOOST_PROCESSKIT_RUNNER_VERB_FOR
};

/// The real runner: every run gets a fresh private `process_group`, so its
/// whole tree is torn down when the run ends, times out or is cancelled.
class BOOST_PROCESSKIT_DECL job_runner final : public process_runner
{
public:
    job_runner() = default;
    explicit job_runner(process_group_options options) : options_(options) {}

    void async_capture(asio::any_io_executor ex, command cmd,
                       asio::any_completion_handler<void(error_code, process_result)> handler) override;
    result<running_process> start(asio::any_io_executor ex, command cmd) override;
    void async_capture_pipeline(asio::any_io_executor ex, pipeline p,
                                asio::any_completion_handler<void(error_code, process_result)> handler) override;
    result<running_process> start_pipeline(asio::any_io_executor ex, pipeline p) override;

private:
    process_group_options options_;
};

/// A runner whose runs join a `process_group` you own: each run gets a
/// subgroup of it (a sub-cgroup, or a process group of its own that the
/// group also signals), so the run's tree is torn down when the run ends,
/// times out or is cancelled -- exactly as with `job_runner` -- and until
/// then the group's `signal`, `suspend`/`resume`, `kill_all`, `shutdown`
/// and `members` reach it too. The runner keeps the group's state alive;
/// once the group is closed (destroyed or moved over), a run fails with
/// `errc::group_closed` and nothing is spawned.
///
///     pk::process_group group;
///     pk::group_runner runner(group);
///     auto p = runner.start(ex, pk::command("server"));   // a member of `group`
///     auto out = runner.run(pk::command("tool"));
class BOOST_PROCESSKIT_DECL group_runner final : public process_runner
{
public:
    explicit group_runner(const process_group& group) : group_(detail::access::state(group)) {}

    void async_capture(asio::any_io_executor ex, command cmd,
                       asio::any_completion_handler<void(error_code, process_result)> handler) override;
    result<running_process> start(asio::any_io_executor ex, command cmd) override;
    void async_capture_pipeline(asio::any_io_executor ex, pipeline p,
                                asio::any_completion_handler<void(error_code, process_result)> handler) override;
    result<running_process> start_pipeline(asio::any_io_executor ex, pipeline p) override;

private:
    std::shared_ptr<detail::group_backend> group_;
};

/// The runner the free verbs use: a process-wide `job_runner`.
BOOST_PROCESSKIT_DECL process_runner& default_runner();

// Free verbs on the default runner: `run(cmd)`, `async_run(ex, cmd, token)`, ...
#define BOOST_PROCESSKIT_FREE_VERB_FOR(name, T, Target)                                                                \
  inline result<T> name(Target target) { return default_runner().name(std::move(target)); }                            \
  template <class... Args>                                                                                             \
  auto async_##name(asio::any_io_executor ex, Target target, Args&&... args)                                           \
  {                                                                                                                    \
    return default_runner().async_##name(std::move(ex), std::move(target), std::forward<Args>(args)...);               \
  }
#define BOOST_PROCESSKIT_FREE_VERB(name, T)                                                                            \
  BOOST_PROCESSKIT_FREE_VERB_FOR(name, T, command)                                                                     \
  BOOST_PROCESSKIT_FREE_VERB_FOR(name, T, pipeline)
BOOST_PROCESSKIT_FREE_VERB(run, std::string)
BOOST_PROCESSKIT_FREE_VERB(run_unit, void)
BOOST_PROCESSKIT_FREE_VERB(checked, process_result)
BOOST_PROCESSKIT_FREE_VERB(output_string, process_result)
BOOST_PROCESSKIT_FREE_VERB(output_bytes, process_result)
BOOST_PROCESSKIT_FREE_VERB(exit_code, int)
BOOST_PROCESSKIT_FREE_VERB(probe, bool)
BOOST_PROCESSKIT_FREE_VERB(first_line, std::string)
#undef BOOST_PROCESSKIT_FREE_VERB
#undef BOOST_PROCESSKIT_FREE_VERB_FOR

/// One-liner: run `program` with `args` in a private group; trimmed stdout,
/// or an error unless it exits 0.
inline result<std::string> run(std::string program, std::vector<std::string> args)
{
    return run(command(std::move(program)).args(args));
}
/// One-liner: the full result; a non-zero exit is not an error.
inline result<process_result> output_string(std::string program, std::vector<std::string> args)
{
    return output_string(command(std::move(program)).args(args));
}

} // namespace processkit
} // namespace boost

#endif // BOOST_PROCESSKIT_PROCESS_RUNNER_HPP
