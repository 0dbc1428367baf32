// Copyright (c) 2026 The processkit authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

// wait_any and wait_all over live processes.

#include "io_thread.hpp"

#include <boost/processkit/running_process.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include <future>
#include <mutex>
#include <tuple>

namespace boost {
namespace processkit {

namespace detail {

void initiate_wait_any(std::vector<running_process*> ps,
                       asio::any_completion_handler<void(error_code, std::size_t, run_outcome)> h)
{
    struct shared
    {
        std::mutex mu;
        std::optional<asio::any_completion_handler<void(error_code, std::size_t, run_outcome)>> h;
        std::vector<asio::cancellation_signal> cancels;
    };
    if (ps.empty())
    {
        asio::post(background_executor(), [h = std::move(h)]() mutable {
            auto hex = asio::get_associated_executor(h, background_executor());
            asio::dispatch(hex, [h = std::move(h)]() mutable {
                std::move(h)(make_error_code(errc::invalid_argument), 0, run_outcome::exited(0));
            });
        });
        return;
    }
    auto sh = std::make_shared<shared>();
    sh->h.emplace(std::move(h));
    sh->cancels = std::vector<asio::cancellation_signal>(ps.size());
    for (std::size_t i = 0; i < ps.size(); ++i)
        ps[i]->async_wait(asio::bind_cancellation_slot(sh->cancels[i].slot(), [sh, i](error_code ec, run_outcome o) {
            std::optional<asio::any_completion_handler<void(error_code, std::size_t, run_outcome)>> h;
            {
                std::lock_guard<std::mutex> lk(sh->mu);
                if (!sh->h) // another process won; this wait was cancelled for it
                    return;
                h = std::move(sh->h);
                sh->h.reset();
            }
            for (std::size_t j = 0; j < sh->cancels.size(); ++j)
                if (j != i)
                    sh->cancels[j].emit(asio::cancellation_type::terminal);
            std::move (*h)(ec, i, o);
        }));
}

void initiate_wait_all(std::vector<running_process*> ps,
                       asio::any_completion_handler<void(error_code, std::vector<run_outcome>)> h)
{
    struct shared
    {
        std::mutex mu;
        std::size_t left;
        error_code first_error;
        std::vector<run_outcome> outcomes;
        std::optional<asio::any_completion_handler<void(error_code, std::vector<run_outcome>)>> h;
    };
    auto sh = std::make_shared<shared>();
    sh->left = ps.size();
    sh->outcomes.assign(ps.size(), run_outcome::exited(0));
    sh->h.emplace(std::move(h));
    if (ps.empty())
    {
        asio::post(background_executor(), [sh] {
            auto hex = asio::get_associated_executor(*sh->h, background_executor());
            asio::dispatch(hex, [sh] { std::move (*sh->h)(error_code(), std::vector<run_outcome>{}); });
        });
        return;
    }
    for (std::size_t i = 0; i < ps.size(); ++i)
        ps[i]->async_wait([sh, i](error_code ec, run_outcome o) {
            {
                std::lock_guard<std::mutex> lk(sh->mu);
                sh->outcomes[i] = o;
                if (ec && !sh->first_error)
                    sh->first_error = ec;
                if (--sh->left != 0)
                    return;
            }
            std::move (*sh->h)(sh->first_error, std::move(sh->outcomes));
        });
}

} // namespace detail

result<std::pair<std::size_t, run_outcome>> wait_any(std::vector<running_process*> ps)
{
    std::promise<std::tuple<error_code, std::size_t, run_outcome>> p;
    auto f = p.get_future();
    detail::initiate_wait_any(std::move(ps), [&p](error_code ec, std::size_t i, run_outcome o) {
        p.set_value({ec, i, o});
    });
    auto [ec, i, o] = f.get();
    if (ec)
        return error(ec);
    return std::make_pair(i, o);
}

result<std::vector<run_outcome>> wait_all(std::vector<running_process*> ps)
{
    std::promise<std::pair<error_code, std::vector<run_outcome>>> p;
    auto f = p.get_future();
    detail::initiate_wait_all(std::move(ps), [&p](error_code ec, std::vector<run_outcome> o) {
        p.set_value({ec, std::move(o)});
    });
    auto [ec, o] = f.get();
    if (ec)
        return error(ec);
    return o;
}

} // namespace processkit
} // namespace boost
