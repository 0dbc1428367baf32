// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// Readiness probes of a live process: a line, a text, a predicate polled,
// a port that accepts, a path that exists -- each with its deadline, each
// failing once the child has ended without becoming ready.

#include "blocking.hpp"
#include "live_ops.hpp"
#include "../backend/host_fs.hpp"

namespace boost {
namespace processkit {
namespace detail {
namespace {

constexpr auto poll_interval = std::chrono::milliseconds(20);

void probe_line(live_state& s, std::string_view line)
{
    for (auto it = s.probes.begin(); it != s.probes.end();)
    {
        bool hit = it->line_pred ? it->line_pred(line) : line.find(it->text) != std::string_view::npos;
        if (!hit)
        {
            ++it;
            continue;
        }
        it->timer->cancel();
        complete(s, std::move(it->handler), error_code(), std::string(line));
        it = s.probes.erase(it);
    }
}

void probe_partial(live_state& s, std::string_view partial)
{
    if (partial.empty())
        return;
    for (auto it = s.probes.begin(); it != s.probes.end();)
    {
        if (it->line_pred || partial.find(it->text) == std::string_view::npos)
        {
            ++it;
            continue;
        }
        it->timer->cancel();
        complete(s, std::move(it->handler), error_code(), std::string(partial));
        it = s.probes.erase(it);
    }
}

void hook_line(void* ctx, std::string_view line)
{
    auto& s = *static_cast<live_state*>(ctx);
    if (!s.probes.empty())
        probe_line(s, line);
}

void hook_partial(void* ctx, std::string_view rest)
{
    auto& s = *static_cast<live_state*>(ctx);
    if (!s.probes.empty())
        probe_partial(s, rest);
}

// Completes the probe `id`, if still pending, with `ec`.
void end_probe(live_state& s, std::uint64_t id, error_code ec)
{
    for (auto p = s.probes.begin(); p != s.probes.end(); ++p)
        if (p->id == id)
        {
            p->timer->cancel();
            complete(s, std::move(p->handler), ec, std::string());
            s.probes.erase(p);
            return;
        }
}

void start_deadline(live_state& s, std::list<live_state::output_probe>::iterator it, std::chrono::nanoseconds d)
{
    it->timer->expires_after(d);
    std::weak_ptr<live_state> weak = s.shared_from_this();
    it->timer->async_wait([weak, id = it->id](error_code ec) {
        if (auto sp = weak.lock(); sp && !ec)
            end_probe(*sp, id, code(errc::not_ready));
    });
}

} // namespace

// No probe pending: no hook, and the sink takes its fastest path.
text_hook probe_hook(live_state& s)
{
    if (s.probes.empty())
        return {};
    return text_hook{&s, &hook_line, &hook_partial};
}

void check_probes_after_exit(live_state& s)
{
    // A child that exited can no longer become ready -- but only once all of
    // its output has been seen, or a last "ready" line could be missed.
    if (!s.outcome || !streams_done(s))
        return;
    while (!s.probes.empty())
    {
        auto& p = s.probes.front();
        p.timer->cancel();
        complete(s, std::move(p.handler), ended_before_ready(s), std::string());
        s.probes.pop_front();
    }
}

} // namespace detail

void running_process::initiate_wait_for_line(std::function<bool(std::string_view)> pred,
                                             std::chrono::nanoseconds deadline,
                                             asio::any_completion_handler<void(error_code, std::string)> h)
{
    auto s = state_;
    auto id = s->next_op_id++;
    detail::on_cancel(*s, h,
                      [id](detail::live_state& st) { detail::end_probe(st, id, make_error_code(errc::cancelled)); });
    asio::post(s->strand, [s, id, pred = std::move(pred), deadline, h = std::move(h)]() mutable {
        for (auto& st : s->streams)
            if (st)
            {
                std::optional<std::string> hit;
                st->queue.for_each([&](std::string_view line) {
                    if (!hit && pred(line))
                        hit.emplace(line);
                });
                if (hit)
                    return detail::complete(*s, std::move(h), error_code(), std::move(*hit));
            }
        // (Asio 1.81's any_completion_handler move-assignment re-wraps the
        // handler endlessly: construct in place, never assign.)
        s->probes.push_back(detail::live_state::output_probe{
            id, std::move(pred), std::string(), std::make_shared<asio::steady_timer>(s->strand), std::move(h)});
        detail::start_deadline(*s, std::prev(s->probes.end()), deadline);
        detail::check_probes_after_exit(*s);
    });
}

result<std::string> running_process::wait_for_line(std::function<bool(std::string_view)> pred,
                                                   std::chrono::nanoseconds deadline)
{
    return detail::block<std::string>(*state_,
                                      [&](auto h) { initiate_wait_for_line(std::move(pred), deadline, std::move(h)); });
}

void running_process::initiate_wait_for_output(std::string text, std::chrono::nanoseconds deadline,
                                               asio::any_completion_handler<void(error_code)> h)
{
    // A text probe is a line probe that also looks at the unterminated tail.
    auto s = state_;
    auto id = s->next_op_id++;
    detail::on_cancel(*s, h,
                      [id](detail::live_state& st) { detail::end_probe(st, id, make_error_code(errc::cancelled)); });
    asio::post(s->strand, [s, id, text = std::move(text), deadline, h = std::move(h)]() mutable {
        auto found = [&](std::string_view hay) { return hay.find(text) != std::string_view::npos; };
        for (auto& st : s->streams)
            if (st)
            {
                bool hit = found(st->queue.partial());
                st->queue.for_each([&](std::string_view line) { hit = hit || found(line); });
                if (hit)
                    return detail::complete(*s, std::move(h), error_code());
            }
        s->probes.push_back(detail::live_state::output_probe{
            id,
            {},
            std::move(text),
            std::make_shared<asio::steady_timer>(s->strand),
            [h = std::move(h)](error_code ec, std::string) mutable { std::move(h)(ec); }});
        detail::start_deadline(*s, std::prev(s->probes.end()), deadline);
        detail::check_probes_after_exit(*s);
    });
}

result<void> running_process::wait_for_output(std::string text, std::chrono::nanoseconds deadline)
{
    return detail::block<void>(*state_,
                               [&](auto h) { initiate_wait_for_output(std::move(text), deadline, std::move(h)); });
}

void running_process::initiate_wait_for(std::function<bool()> pred, std::chrono::nanoseconds deadline,
                                        asio::any_completion_handler<void(error_code)> h)
{
    struct poller : std::enable_shared_from_this<poller>
    {
        std::shared_ptr<detail::live_state> s;
        std::function<bool()> pred;
        std::chrono::steady_clock::time_point deadline;
        asio::steady_timer timer;
        std::optional<asio::any_completion_handler<void(error_code)>> h;
        poller(std::shared_ptr<detail::live_state> st, std::function<bool()> p, std::chrono::steady_clock::time_point d,
               asio::any_completion_handler<void(error_code)> handler)
            : s(std::move(st)), pred(std::move(p)), deadline(d), timer(s->strand), h(std::move(handler))
        {
        }
        void finish(error_code ec)
        {
            if (!h)
                return;
            auto handler = std::move(*h);
            h.reset();
            detail::complete(*s, std::move(handler), ec);
        }
        void tick()
        {
            if (!h)
                return;
            if (pred())
                return finish({});
            if (s->outcome)
                return finish(detail::ended_before_ready(*s));
            auto now = std::chrono::steady_clock::now();
            if (now >= deadline)
                return finish(make_error_code(errc::not_ready));
            timer.expires_after(std::min<std::chrono::steady_clock::duration>(detail::poll_interval, deadline - now));
            timer.async_wait([self = shared_from_this()](error_code ec) {
                if (!ec)
                    self->tick();
            });
        }
    };
    auto p =
        std::make_shared<poller>(state_, std::move(pred), std::chrono::steady_clock::now() + deadline, std::move(h));
    auto weak = std::weak_ptr<poller>(p);
    detail::on_cancel(*state_, *p->h, [weak](detail::live_state&) {
        if (auto sp = weak.lock())
        {
            sp->timer.cancel();
            sp->finish(make_error_code(errc::cancelled));
        }
    });
    asio::post(state_->strand, [p] { p->tick(); });
}

result<void> running_process::wait_for(std::function<bool()> pred, std::chrono::nanoseconds deadline)
{
    return detail::block<void>(*state_, [&](auto h) { initiate_wait_for(std::move(pred), deadline, std::move(h)); });
}

result<void> running_process::wait_for_port(unsigned short port, std::chrono::nanoseconds deadline)
{
    return wait_for(make_port_check(port), deadline);
}

result<void> running_process::wait_for_path(std::string path, std::chrono::nanoseconds deadline)
{
    return wait_for(make_path_check(std::move(path)), deadline);
}

std::function<bool()> running_process::make_port_check(unsigned short port)
{
    return [port] { return detail::loopback_port_accepts(port); };
}

std::function<bool()> running_process::make_path_check(std::string path)
{
    return [path = std::move(path)] { return detail::path_exists(path); };
}

} // namespace processkit
} // namespace boost
