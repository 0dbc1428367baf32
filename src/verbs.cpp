// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// The verb vocabulary, layered over process_runner::async_capture: each verb
// is a small pure function from the capture's (error, result) to its value.

#include <boost/processkit/process_runner.hpp>

#include "core/decoder.hpp"
#include "core/line_splitter.hpp"
#include "core/utf8.hpp"
#include "ops/retry.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <ostream>
#include <type_traits>

namespace boost {
namespace processkit {
namespace {

// The error a run/checked-style verb reports for a finished run, if any.
error status_error(const process_result& r)
{
    if (r.timed_out())
        return error(errc::timed_out, r.diagnostics);
    if (r.signal())
        return error(errc::signalled, r.diagnostics);
    if (!r.accepted)
        return error(errc::nonzero_exit, r.diagnostics);
    return {};
}

// What a finisher needs to know about the command (or the pipeline's
// stages) besides the result.
struct verb_context
{
    std::string stdout_encoding;
    std::vector<std::string> stderr_encodings; ///< per stage
    line_terminator line_end = line_terminator::newline;

    explicit verb_context(const command& c)
        : stdout_encoding(c.stdout_encoding_value()), stderr_encodings{c.stderr_encoding_value()},
          line_end(c.line_end_value())
    {
    }
    explicit verb_context(const pipeline& p)
    {
        for (auto& c : p.stages())
            stderr_encodings.push_back(c.stderr_encoding_value());
        if (!p.stages().empty())
        {
            stdout_encoding = p.stages().back().stdout_encoding_value();
            line_end = p.stages().back().line_end_value();
        }
    }
};

// Converts captured bytes to UTF-8 text per the command's encoding.
error to_text(std::string& bytes, const std::string& encoding)
{
    if (encoding.empty())
    {
        detail::sanitize_utf8(bytes);
        return {};
    }
    auto dec = detail::decoder::create(encoding);
    if (!dec)
        return dec.error();
    std::string out;
    out.reserve(bytes.size());
    dec.value().feed(bytes, out);
    dec.value().finish(out);
    bytes = std::move(out);
    return {};
}

std::string trim_end(std::string s)
{
    auto end = s.find_last_not_of(" \t\r\n\v\f");
    s.erase(end == std::string::npos ? 0 : end + 1);
    return s;
}

// Each finisher turns a completed capture into the verb's value or error.
struct finish_run
{
    error operator()(process_result& r, const verb_context&, std::string& out) const
    {
        if (auto e = status_error(r))
            return e;
        out = trim_end(std::move(r.std_out));
        return {};
    }
};
struct finish_run_unit
{
    error operator()(process_result& r, const verb_context&) const { return status_error(r); }
};
struct finish_checked
{
    error operator()(process_result& r, const verb_context&, process_result& out) const
    {
        if (auto e = status_error(r))
            return e;
        out = std::move(r);
        return {};
    }
};
struct finish_output_string
{
    error operator()(process_result& r, const verb_context& c, process_result& out) const
    {
        if (auto e = to_text(r.std_out, c.stdout_encoding))
            return e;
        // The top-level stderr is the stage's the result speaks for.
        std::size_t shown = r.stages.empty() ? 0 : r.failed_stage.value_or(r.stages.size() - 1);
        if (auto e = to_text(r.std_err, c.stderr_encodings.at(shown)))
            return e;
        for (std::size_t i = 0; i < r.stages.size(); ++i)
            if (auto e = to_text(r.stages[i].std_err, c.stderr_encodings.at(i)))
                return e;
        out = std::move(r);
        return {};
    }
};
struct finish_output_bytes
{
    error operator()(process_result& r, const verb_context&, process_result& out) const
    {
        out = std::move(r);
        return {};
    }
};
struct finish_exit_code
{
    error operator()(process_result& r, const verb_context&, int& out) const
    {
        if (r.timed_out())
            return error(errc::timed_out, r.diagnostics);
        if (!r.code())
            return error(errc::missing_exit_code, r.diagnostics);
        out = *r.code();
        return {};
    }
};
struct finish_probe
{
    error operator()(process_result& r, const verb_context&, bool& out) const
    {
        if (r.timed_out())
            return error(errc::timed_out, r.diagnostics);
        if (r.code() == 0 || r.code() == 1)
        {
            out = r.code() == 0;
            return {};
        }
        return error(r.code() ? errc::unexpected_probe_code : errc::signalled, r.diagnostics);
    }
};
struct finish_first_line
{
    error operator()(process_result& r, const verb_context& c, std::string& out) const
    {
        if (auto e = status_error(r))
            return e;
        std::optional<std::string> first;
        detail::line_splitter split(c.line_end);
        auto take = [&](std::string_view line) {
            if (!first)
                first.emplace(line);
        };
        split.feed(r.std_out, take);
        split.finish(take);
        if (!first || first->empty())
            return error(errc::empty_output, r.diagnostics);
        out = std::move(*first);
        return {};
    }
};

// The verbs whose answer is the child's stdout.
template <class Finisher>
constexpr bool answers_with_stdout =
    std::is_same_v<Finisher, finish_run> || std::is_same_v<Finisher, finish_first_line>;

// One attempt through the runner's primitive for a command or a pipeline.
void capture_once(process_runner& runner, asio::any_io_executor ex, command cmd, detail::capture_handler h)
{
    runner.async_capture(std::move(ex), std::move(cmd), std::move(h));
}
void capture_once(process_runner& runner, asio::any_io_executor ex, pipeline p, detail::capture_handler h)
{
    runner.async_capture_pipeline(std::move(ex), std::move(p), std::move(h));
}

// The runner's capture, attempted again per the target's retry policy.
template <class Target>
void capture(process_runner& runner, asio::any_io_executor ex, Target target, detail::capture_handler handler)
{
    if (!target.retry_value())
        return capture_once(runner, std::move(ex), std::move(target), std::move(handler));
    auto policy = *target.retry_value();
    auto stop = target.cancel_token();
    detail::async_retry(
        ex, policy, std::move(stop),
        [&runner, ex, target = std::move(target)](detail::capture_handler h) {
            capture_once(runner, ex, target, std::move(h));
        },
        std::move(handler));
}

// The stage whose stdout a verb answers with (null: a pipeline without stages, refused later).
const command* stdout_stage(const command& c) { return &c; }
const command* stdout_stage(const pipeline& p) { return p.stages().empty() ? nullptr : &p.stages().back(); }

// Runs the capture and hands the finisher's outcome to `handler`, keeping the
// handler's executor and cancellation slot associated with the capture.
template <class Finisher, class Target, class... T>
void initiate_verb(process_runner& runner, asio::any_io_executor ex, Target cmd, diagnostics* diag,
                   detail::handler_t<void(error_code, T...)> handler)
{
    auto slot = asio::get_associated_cancellation_slot(handler);
    auto hex = asio::get_associated_executor(handler, ex);
    const command* out_stage = stdout_stage(cmd);
    if (answers_with_stdout<Finisher> && out_stage && out_stage->stdout_config().type() != stdio_mode::kind::pipe)
    {
        // A user's mistake, refused before any runner sees the command.
        diagnostics d;
        d.program = out_stage->program();
        d.step = "validate command";
        d.detail = "this verb answers with stdout, but the command does not capture it (std_out is not a pipe)";
        if (diag)
            *diag = std::move(d);
        // Never completes inside the initiating call: posted, then on the handler's own executor.
        asio::post(ex, [handler = std::move(handler), ex]() mutable {
            auto hex = asio::get_associated_executor(handler, ex);
            asio::dispatch(hex, [handler = std::move(handler)]() mutable {
                std::move(handler)(make_error_code(errc::invalid_argument), T{}...);
            });
        });
        return;
    }
    verb_context ctx(cmd);
    std::string program = out_stage ? out_stage->program() : std::string();
    auto done = [handler = std::move(handler), diag, ctx = std::move(ctx),
                 program = std::move(program)](error_code ec, process_result r) mutable {
        std::tuple<T...> values{};
        if (!ec)
        {
            error e = std::apply([&](auto&... v) { return Finisher{}(r, ctx, v...); }, values);
            ec = e.code();
            if (e && !e.diag().empty())
                r.diagnostics = e.diag();
        }
        if (ec && diag)
        {
            *diag = r.diagnostics;
            if (diag->program.empty()) // an error before any stage ran (a bad retry policy)
                diag->program = program;
        }
        std::apply([&](auto&... v) { std::move(handler)(ec, std::move(v)...); }, values);
    };
    capture(runner, ex, std::move(cmd), asio::bind_cancellation_slot(slot, asio::bind_executor(hex, std::move(done))));
}

// The synchronous form: a private io_context on the calling thread.
template <class T, class Target, class Initiate>
result<T> run_sync(Initiate initiate, process_runner& runner, Target cmd)
{
    asio::io_context ctx(1);
    diagnostics diag;
    error_code ec;
    std::optional<std::conditional_t<std::is_void_v<T>, bool, T>> value;
    if constexpr (std::is_void_v<T>)
        initiate(runner, ctx.get_executor(), std::move(cmd), &diag,
                 detail::handler_t<void(error_code)>([&](error_code e) { ec = e; }));
    else
        initiate(runner, ctx.get_executor(), std::move(cmd), &diag,
                 detail::handler_t<void(error_code, T)>([&](error_code e, T v) {
                     ec = e;
                     value.emplace(std::move(v));
                 }));
    ctx.run();
    if (ec)
        return error(ec, std::move(diag));
    if constexpr (std::is_void_v<T>)
        return outcome_v2::success();
    else
        return std::move(*value);
}

} // namespace

namespace detail {
// The completion signature of a verb whose value is T (void: none).
template <class T>
struct verb_signature
{
    using type = void(error_code, T);
};
template <>
struct verb_signature<void>
{
    using type = void(error_code);
};
template <class T>
using verb_signature_t = typename verb_signature<T>::type;

#define BOOST_PROCESSKIT_DEFINE_VERB_FOR(Target, name, ...)                                                            \
  void initiate_##name(process_runner& runner, asio::any_io_executor ex, Target target, diagnostics* diag,             \
                       handler_t<void(error_code __VA_OPT__(, ) __VA_ARGS__)> handler)                                 \
  {                                                                                                                    \
    initiate_verb<finish_##name, Target __VA_OPT__(, ) __VA_ARGS__>(runner, std::move(ex), std::move(target), diag,    \
                                                                    std::move(handler));                               \
  }
#define BOOST_PROCESSKIT_DEFINE_VERB(name, ...)                                                                        \
  BOOST_PROCESSKIT_DEFINE_VERB_FOR(command, name __VA_OPT__(, ) __VA_ARGS__)                                           \
  BOOST_PROCESSKIT_DEFINE_VERB_FOR(pipeline, name __VA_OPT__(, ) __VA_ARGS__)
BOOST_PROCESSKIT_DEFINE_VERB(run, std::string)
BOOST_PROCESSKIT_DEFINE_VERB(run_unit)
BOOST_PROCESSKIT_DEFINE_VERB(checked, process_result)
BOOST_PROCESSKIT_DEFINE_VERB(output_string, process_result)
BOOST_PROCESSKIT_DEFINE_VERB(output_bytes, process_result)
BOOST_PROCESSKIT_DEFINE_VERB(exit_code, int)
BOOST_PROCESSKIT_DEFINE_VERB(probe, bool)
BOOST_PROCESSKIT_DEFINE_VERB(first_line, std::string)
#undef BOOST_PROCESSKIT_DEFINE_VERB
#undef BOOST_PROCESSKIT_DEFINE_VERB_FOR
} // namespace detail

process_runner::~process_runner() = default;

#define BOOST_PROCESSKIT_SYNC_VERB_FOR(Target, name, T)                                                                \
  result<T> process_runner::name(Target target)                                                                        \
  {                                                                                                                    \
    void (*initiate)(process_runner&, asio::any_io_executor, Target, diagnostics*,                                     \
                     detail::handler_t<detail::verb_signature_t<T>>) = &detail::initiate_##name;                       \
    return run_sync<T>(initiate, *this, std::move(target));                                                            \
  }
#define BOOST_PROCESSKIT_SYNC_VERB(name, T)                                                                            \
  BOOST_PROCESSKIT_SYNC_VERB_FOR(command, name, T)                                                                     \
  BOOST_PROCESSKIT_SYNC_VERB_FOR(pipeline, name, T)
BOOST_PROCESSKIT_SYNC_VERB(run, std::string)
BOOST_PROCESSKIT_SYNC_VERB(run_unit, void)
BOOST_PROCESSKIT_SYNC_VERB(checked, process_result)
BOOST_PROCESSKIT_SYNC_VERB(output_string, process_result)
BOOST_PROCESSKIT_SYNC_VERB(output_bytes, process_result)
BOOST_PROCESSKIT_SYNC_VERB(exit_code, int)
BOOST_PROCESSKIT_SYNC_VERB(probe, bool)
BOOST_PROCESSKIT_SYNC_VERB(first_line, std::string)
#undef BOOST_PROCESSKIT_SYNC_VERB
#undef BOOST_PROCESSKIT_SYNC_VERB_FOR

process_runner& default_runner()
{
    static job_runner runner;
    return runner;
}

result<void> process_result::ensure_success() const
{
    if (auto e = status_error(*this))
        return e;
    return outcome_v2::success();
}

std::ostream& operator<<(std::ostream& os, const run_outcome& o)
{
    switch (o.type())
    {
    case run_outcome::kind::exited: return os << "exited with code " << *o.code();
    case run_outcome::kind::signalled: return os << "killed by signal " << *o.signal();
    case run_outcome::kind::timed_out: return os << "timed out";
    }
    return os;
}

} // namespace processkit
} // namespace boost
